namespace TwoPC.Durability;

/// <summary>
/// What a host does when its store fails a forced write (the LiteDB group committer calls it through <c>GroupCommitOptions.OnFailStop</c>).
/// The default, <see cref="ProcessFailStop"/>, ends the process; tests register a recording one instead.
/// </summary>
public interface IStorageFailStop
{
    /// <summary>Called once per store (by its writer, before any caller hears of the failure).</summary>
    void Stop(StorageFailedException failure);
}
