using Microsoft.Extensions.Logging;

namespace TwoPC.Durability;

/// <summary>Options of a <see cref="LiteDbGroupCommitter"/>.</summary>
public sealed class GroupCommitOptions
{
    /// <summary>Path of the LiteDB data file. Its write-ahead log is <c>{name}-log{ext}</c> beside it. Required.</summary>
    public string Path { get; set; } = "";

    /// <summary>Most writes folded into one storage transaction and one flush. Default 256.</summary>
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>
    /// When the write-ahead log grows past this many bytes and no write is waiting, the committer copies it into
    /// the data file (checkpoint). LiteDB's own auto-checkpoint is switched off so it never runs inside a commit.
    /// Default 8 MiB.
    /// </summary>
    public long CheckpointLogBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>
    /// Past this log size the checkpoint runs even while writes wait, which bounds the log and recovery time.
    /// Default 64 MiB.
    /// </summary>
    public long MaxLogBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Where the committer logs what it cannot report to a caller (a fail-stop callback that threw). Default: none.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>
    /// Runs once, on the writer thread, when the store fails a forced write (see <see cref="StorageFailedException"/>),
    /// before any caller of the failed batch hears of it. Hosts set it to log Critical and end the process with a
    /// non-zero exit code (fail-stop: the process restarts and rebuilds its state from disk); the coordinator and the
    /// participant hosts do. Default none: the committer only fails that write and every later one.
    /// </summary>
    public Action<StorageFailedException>? OnFailStop { get; set; }

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path)) throw new ArgumentException("GroupCommitOptions.Path is required.");
        if (MaxBatchSize is < 1 or > 100_000) throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "must be 1..100000");
        if (CheckpointLogBytes < 64 * 1024) throw new ArgumentOutOfRangeException(nameof(CheckpointLogBytes), CheckpointLogBytes, "must be at least 64 KiB");
        if (MaxLogBytes < CheckpointLogBytes) throw new ArgumentOutOfRangeException(nameof(MaxLogBytes), MaxLogBytes, "must be at least CheckpointLogBytes");
    }
}
