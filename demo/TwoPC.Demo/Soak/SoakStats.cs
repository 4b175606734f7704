using System.Collections.Concurrent;

namespace TwoPC.Demo.Soak;

/// <summary>What the soak counted; updated concurrently by the workers and the nemesis.</summary>
internal sealed class SoakStats
{
    private long _maxInDoubtMs, _maxRecoveryMs;
    private int _coordinatorKills, _bankKills, _recoveries, _auditsOk, _auditsSkipped;

    public ConcurrentQueue<TransferRecord> Transfers { get; } = new();

    /// <summary>Invariant violations seen during the run (after a recovery); each is a line of the report.</summary>
    public ConcurrentQueue<string> Violations { get; } = new();

    public int CoordinatorKills => Volatile.Read(ref _coordinatorKills);

    public int BankKills => Volatile.Read(ref _bankKills);

    /// <summary>Restarts after which every transaction open at the restart was final within 2x the timeout.</summary>
    public int Recoveries => Volatile.Read(ref _recoveries);

    /// <summary>Longest time a client waited to learn the outcome of a transfer whose Commit answer was lost.</summary>
    public long MaxInDoubtMs => Interlocked.Read(ref _maxInDoubtMs);

    /// <summary>Longest time after a restart until every transaction open at that moment was final.</summary>
    public long MaxRecoveryMs => Interlocked.Read(ref _maxRecoveryMs);

    /// <summary>Locked audits after a recovery that saw the exact total.</summary>
    public int AuditsOk => Volatile.Read(ref _auditsOk);

    /// <summary>Recoveries after which no locked audit got through (lock conflicts); the total is checked at the end anyway.</summary>
    public int AuditsSkipped => Volatile.Read(ref _auditsSkipped);

    public void CountCoordinatorKill() => Interlocked.Increment(ref _coordinatorKills);

    public void CountBankKill() => Interlocked.Increment(ref _bankKills);

    public void CountRecovery(TimeSpan took)
    {
        Interlocked.Increment(ref _recoveries);
        Max(ref _maxRecoveryMs, (long)took.TotalMilliseconds);
    }

    public void CountAudit(bool done)
    {
        if (done) Interlocked.Increment(ref _auditsOk);
        else Interlocked.Increment(ref _auditsSkipped);
    }

    public void InDoubtFor(TimeSpan time) => Max(ref _maxInDoubtMs, (long)time.TotalMilliseconds);

    private static void Max(ref long field, long value)
    {
        var seen = Interlocked.Read(ref field);
        while (value > seen)
        {
            var was = Interlocked.CompareExchange(ref field, value, seen);
            if (was == seen) return;
            seen = was;
        }
    }
}
