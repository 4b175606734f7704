using System.Collections.Concurrent;

namespace TwoPC.Participant.Diagnostics;

/// <summary>Named counters reported by Diagnostics.GetStats (prepares, commits, aborts, barrier hits, ...).</summary>
internal sealed class ParticipantCounters
{
    public const string Prepared = "prepare.prepared";
    public const string ReadOnly = "prepare.read_only";
    public const string VotedAbort = "prepare.abort";
    public const string DuplicatePrepare = "prepare.duplicate";
    public const string OnePhaseCommitted = "prepare.one_phase_committed";
    public const string Committed = "commit";
    public const string Aborted = "abort";
    public const string Tombstones = "abort.tombstone";
    public const string Executed = "saga.execute";
    public const string DuplicateExecute = "saga.execute.duplicate";
    public const string RejectedAfterCompensation = "saga.execute.rejected";
    public const string Compensated = "saga.compensate";
    public const string NullCompensations = "saga.compensate.null";
    public const string InDoubtResolved = "indoubt.resolved";
    public const string InDoubtRetries = "indoubt.retries";
    public const string InDoubtLogMismatches = "indoubt.log_mismatch";

    private readonly ConcurrentDictionary<string, long> _values = new(StringComparer.Ordinal);

    public void Add(string name, long delta = 1) => _values.AddOrUpdate(name, delta, (_, v) => v + delta);

    public long Get(string name) => _values.TryGetValue(name, out var v) ? v : 0;

    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(_values, StringComparer.Ordinal);
}
