using Microsoft.Extensions.Logging;

namespace TwoPC.Durability;

/// <summary>
/// Fail-stop for a failed store: logs Critical and ends the process at once with a non-zero exit code
/// (<see cref="Environment.FailFast(string, Exception)"/>: SIGABRT, exit code 134 on Linux, the message on stderr).
/// No shutdown code runs, so nothing more is written from memory that may not match the disk; the restarted
/// process rebuilds its state from the files (crash recovery), as PostgreSQL does when fsync fails.
/// </summary>
public sealed partial class ProcessFailStop(ILogger<ProcessFailStop> logger) : IStorageFailStop
{
    /// <inheritdoc />
    public void Stop(StorageFailedException failure)
    {
        StoreFailed(logger, failure.Path, failure.InnerException ?? failure);
        Environment.FailFast($"TwoPC fail-stop: {failure.Message}", failure);
    }

    [LoggerMessage(EventId = 900, EventName = "StoreFailed", Level = LogLevel.Critical,
        Message = "The store {Path} failed a forced write; the process stops now and must be restarted to rebuild its state from disk")]
    private static partial void StoreFailed(ILogger logger, string path, Exception error);
}
