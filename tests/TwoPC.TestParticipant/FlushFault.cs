using TwoPC.Durability;

namespace TwoPC.TestParticipant;

/// <summary>
/// Test-only disk fault: the real fdatasync flusher, except that once armed the next flush fails with an I/O error
/// (as fdatasync does when the disk fails). Used with <c>Ledger:FailFlushAtCommit=true</c>, which arms it in Commit.
/// </summary>
public sealed class FlushFault(DurabilityMetrics metrics) : IFileFlusher
{
    private readonly FdatasyncFileFlusher _inner = new(metrics);
    private int _armed;

    /// <summary>Makes the next flush fail.</summary>
    public void Arm() => Volatile.Write(ref _armed, 1);

    /// <inheritdoc />
    public void Flush(string path)
    {
        if (Interlocked.Exchange(ref _armed, 0) == 1)
        {
            Console.Error.WriteLine($"FAULT flush {path} fails (EIO)");
            throw new IOException($"fdatasync({path}) failed: Input/output error (injected)");
        }

        _inner.Flush(path);
    }
}
