using System.Diagnostics;

namespace TwoPC.Demo.Load;

/// <summary>What one mode's run counted, updated concurrently by the workers, the auditor and the fault injector.</summary>
internal sealed class RunStats(int transfers)
{
    private readonly TransferOutcome[] _outcomes = new TransferOutcome[transfers];
    private readonly double[] _latencyMs = new double[transfers];
    private int _committed, _aborted, _unresolved, _inDoubt, _audits, _auditViolations, _auditsFailed;

    public int Transfers => _outcomes.Length;

    public int Committed => Volatile.Read(ref _committed);

    public int Aborted => Volatile.Read(ref _aborted);

    public int Unresolved => Volatile.Read(ref _unresolved);

    public int Finished => Committed + Aborted + Unresolved;

    /// <summary>Transfers whose first answer was in doubt (or retry-later) and that were resolved afterwards.</summary>
    public int InDoubt => Volatile.Read(ref _inDoubt);

    public int Audits => Volatile.Read(ref _audits);

    public int AuditViolations => Volatile.Read(ref _auditViolations);

    /// <summary>Audits that could not complete (aborted on lock conflicts, or a process was down).</summary>
    public int AuditsFailed => Volatile.Read(ref _auditsFailed);

    public TimeSpan Elapsed { get; set; }

    public long? FinalTotal { get; set; }

    public List<string> Events { get; } = new();

    public void Record(int index, TransferOutcome outcome, TimeSpan latency)
    {
        _outcomes[index] = outcome;
        _latencyMs[index] = latency.TotalMilliseconds;
        if (outcome == TransferOutcome.Committed) Interlocked.Increment(ref _committed);
        else if (outcome == TransferOutcome.Aborted) Interlocked.Increment(ref _aborted);
        else Interlocked.Increment(ref _unresolved);
    }

    public void CountInDoubt() => Interlocked.Increment(ref _inDoubt);

    public void CountAudit(bool violation)
    {
        Interlocked.Increment(ref _audits);
        if (violation) Interlocked.Increment(ref _auditViolations);
    }

    public void CountAuditFailed() => Interlocked.Increment(ref _auditsFailed);

    public void Event(string text)
    {
        lock (Events) Events.Add(text);
    }

    public double Tps => Elapsed > TimeSpan.Zero ? Transfers / Elapsed.TotalSeconds : 0;

    public double Percentile(double p)
    {
        var sorted = _latencyMs.Where((_, i) => _outcomes[i] != TransferOutcome.None).Order().ToArray();
        if (sorted.Length == 0) return 0;
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    public bool AllDecided => Committed + Aborted == Transfers;

    public static long Now() => Stopwatch.GetTimestamp();
}
