namespace TwoPC.Durability;

/// <summary>
/// What a host does when its store fails a forced write (wired into <see cref="GroupCommitOptions.OnFailStop"/>).
/// The default, <see cref="ProcessFailStop"/>, ends the process; tests register a recording one instead.
/// </summary>
public interface IStorageFailStop
{
    /// <summary>Called once per store, on its writer thread, before any caller hears of the failure.</summary>
    void Stop(StorageFailedException failure);
}
