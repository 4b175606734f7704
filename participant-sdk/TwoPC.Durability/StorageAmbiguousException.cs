namespace TwoPC.Durability;

/// <summary>
/// A write failed in a way that leaves its outcome unknown: some, none or all of it may be durable.
/// The caller must reload state from storage before it answers anyone; it must not retry from memory.
/// </summary>
public sealed class StorageAmbiguousException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StorageAmbiguousException(string message, Exception inner) : base(message, inner) { }
}
