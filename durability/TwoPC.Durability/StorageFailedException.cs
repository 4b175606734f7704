namespace TwoPC.Durability;

/// <summary>
/// The store failed a forced write (a commit or an fdatasync of a batch) and has stopped for good: the failed batch
/// may be durable in part, in whole or not at all, and every later write and flush fails with this exception too.
/// A store never recovers in place; the process must restart and rebuild its state from disk.
/// </summary>
/// <remarks>
/// Why not retry the flush, or rewrite the record: after a failed fdatasync Linux marks the dirty pages clean and
/// reports the error once, so a later flush succeeds without the data; and LiteDB's in-memory page cache may then
/// refer to pages whose write was lost, so nothing it writes afterwards can be trusted. This is what PostgreSQL does
/// on an fsync failure (PANIC and crash recovery).
/// </remarks>
public sealed class StorageFailedException : Exception
{
    /// <summary>The message every failed write carries.</summary>
    public const string FailedMessage = "the store failed a forced write; the process must restart and rebuild from disk";

    /// <summary>Creates the exception for the store at <paramref name="path"/>, caused by <paramref name="inner"/>.</summary>
    public StorageFailedException(string path, Exception? inner)
        : base($"{path}: {FailedMessage} ({inner?.Message ?? "stopped"})", inner) => Path = path;

    /// <summary>The data file of the failed store.</summary>
    public string Path { get; }
}
