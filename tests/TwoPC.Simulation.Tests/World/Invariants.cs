using TwoPC.Coordinator.Transactions;

namespace TwoPC.Simulation.Tests.World;

/// <summary>
/// The protocol's invariants, checked at the moment that matters (delivery, durable write, client answer) and at
/// the end of the run. Each failure names its invariant; the runner prints the seed.
/// </summary>
internal sealed class Invariants(Simulation sim)
{
    private readonly Dictionary<string, bool> _decided = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(string Step, int Group)>> _compensated = new(StringComparer.Ordinal);
    private readonly HashSet<string> _effects = new(StringComparer.Ordinal);

    /// <summary>Write-ahead (coordinator): a Commit reaches a participant only after the decision is durable.</summary>
    public void OnCommitDelivered(string tx)
    {
        if (sim.Log.GetDurable(tx)?.State.IsCommitDecided() != true)
            sim.Violation("WriteAhead", $"Commit for {sim.Name(tx)} delivered while the coordinator's durable record is {sim.Log.GetDurable(tx)?.State.ToString() ?? "absent"}");
    }

    /// <summary>Write-ahead (coordinator): the client hears "committed" only after the decision is durable.</summary>
    public void OnClientAnswer(string tx, bool committed)
    {
        if (committed && sim.Log.GetDurable(tx)?.State.IsCommitDecided() != true && !OnePhaseCommitted(tx) && !AllReadOnly(tx))
            sim.Violation("WriteAhead", $"the client heard COMMITTED for {sim.Name(tx)} before the decision was durable");
        Decide(tx, committed, "client answer");
    }

    /// <summary>Write-ahead (participant): a PREPARED vote reaches the coordinator only once the prepared record is durable.</summary>
    public void OnVoteReceived(string tx, int branch, SimParticipant p)
    {
        var row = p.Branches.ReadDurable((tx, branch));
        if (row is null || row.Status is not (BranchStatus.Prepared or BranchStatus.Committed or BranchStatus.Aborted))
            sim.Violation("WriteAhead", $"{p.Name} voted PREPARED on {sim.Name(tx)}/{branch} without a durable prepared record");
    }

    /// <summary>Every save the coordinator issues: Validity for commit decisions, Stability for every decision.</summary>
    public void OnCoordinatorSave(TransactionRecord r)
    {
        if (r.Mode != TransactionMode.TwoPhase || !r.State.IsDecided()) return;
        var commit = r.State.IsCommitDecided();
        if (commit && r.Branches.Count > 1)
        {
            foreach (var b in r.Branches)
            {
                var p = sim.Participant(b.ParticipantAddress);
                var row = b.Vote == Vote.ReadOnly ? p.Branches.Read((r.Id, b.BranchId)) : p.Branches.ReadDurable((r.Id, b.BranchId));
                var ok = b.Vote switch
                {
                    Vote.Prepared => row?.Status is BranchStatus.Prepared or BranchStatus.Committed,
                    Vote.ReadOnly => row is null or { Status: BranchStatus.ReadOnly }, // the SDK writes READ_ONLY lazily: a crash may lose it (no effect to lose)
                    _ => false,
                };
                if (!ok) sim.Violation("Validity", $"{sim.Name(r.Id)} decided COMMIT but branch {b.BranchId} at {p.Name} has vote {b.Vote} and record {row?.Status.ToString() ?? "none"}");
            }
        }

        Decide(r.Id, commit, $"coordinator save {r.State}");
    }

    /// <summary>Agreement, continuously: no transaction has a durably committed branch and a durably aborted one.</summary>
    public void OnParticipantFlush(string tx)
    {
        bool committed = false, aborted = false;
        foreach (var p in sim.Participants)
        {
            foreach (var (key, row) in p.Branches.AllDurable())
            {
                if (key.Tx != tx) continue;
                committed |= row.Status == BranchStatus.Committed;
                aborted |= row.Status is BranchStatus.Aborted or BranchStatus.VotedAbort;
            }
        }

        if (committed && aborted) sim.Violation("Agreement", $"{sim.Name(tx)} has a committed branch and an aborted one");
        if (committed) Decide(tx, true, "a participant committed");
    }

    /// <summary>Saga: each effect at most once; no compensation without its action; compensations in reverse order.</summary>
    public void OnSagaEffect(SimParticipant p, string tx, string step, bool compensation)
    {
        var effect = $"{(compensation ? "compensation" : "action")} {tx}/{step}";
        if (!_effects.Add(effect)) sim.Violation("SagaAtMostOnce", $"{effect} (saga {sim.Name(tx)}) took effect twice");
        if (!compensation) return;
        if (!_effects.Contains($"action {tx}/{step}")) sim.Violation("SagaNoCompensationWithoutAction", $"compensation of {sim.Name(tx)}/{step} took effect without its action");
        var group = sim.GroupOf(tx, step);
        var done = _compensated.TryGetValue(tx, out var list) ? list : _compensated[tx] = [];
        if (done.FirstOrDefault(d => d.Group < group) is { Step: not null } earlier)
            sim.Violation("SagaReverseOrder", $"{sim.Name(tx)}/{step} (group {group}) compensated after {earlier.Step} (group {earlier.Group})");
        done.Add((step, group));
    }

    /// <summary>Agreement + Stability: one decision per transaction, never changed.</summary>
    private void Decide(string tx, bool commit, string source)
    {
        if (_decided.TryGetValue(tx, out var first))
        {
            if (first != commit) sim.Violation("Agreement", $"{sim.Name(tx)} was {(first ? "COMMITTED" : "ABORTED")} and is now {(commit ? "COMMITTED" : "ABORTED")} ({source})");
            return;
        }

        _decided[tx] = commit;
    }

    // Every branch voted READ_ONLY: nothing to commit, so the engine need not force a decision.
    private bool AllReadOnly(string tx) => sim.Stored(tx) is not { } r ? sim.PlanOf(tx)?.Votes.All(v => v.Vote == Vote.ReadOnly) == true : r.Branches.All(b => b.Vote == Vote.ReadOnly);

    private bool OnePhaseCommitted(string tx) =>
        sim.Participants.Any(p => p.Branches.AllDurable().Any(kv => kv.Key.Tx == tx && kv.Value.Status == BranchStatus.Committed));

    /// <summary>End of run: every branch final and agreeing with the decision; sagas complete or fully compensated.</summary>
    public void AtEnd(IEnumerable<TxPlan> plans)
    {
        foreach (var plan in plans)
        {
            var stored = sim.Stored(plan.Id);
            if (plan.Saga)
            {
                CheckSagaEnd(plan, stored);
                continue;
            }

            var committed = stored?.State.IsCommitDecided() == true || plan.Branches.Any(b => b.Participant.Branches.ReadDurable((plan.Id, b.Branch))?.Status == BranchStatus.Committed) && plan.Branches.Count == 1;
            foreach (var (participant, branch) in plan.Branches)
            {
                var row = participant.Branches.ReadDurable((plan.Id, branch));
                if (row?.Status == BranchStatus.Prepared)
                    sim.Violation("Termination", $"{sim.Name(plan.Id)}/{branch} at {participant.Name} is still in doubt after healing");
                if (committed && row?.Status is BranchStatus.Aborted or BranchStatus.VotedAbort)
                    sim.Violation("Agreement", $"{sim.Name(plan.Id)} committed but branch {branch} at {participant.Name} is {row.Status}");
                if (!committed && row?.Status == BranchStatus.Committed)
                    sim.Violation("Agreement", $"{sim.Name(plan.Id)} is {stored?.State.ToString() ?? "unknown (presumed abort)"} but branch {branch} at {participant.Name} committed");
            }

            if (plan.ClientHeard is { } heard && heard != committed && !(heard && plan.Votes.All(v => v.Vote == Vote.ReadOnly)))
                sim.Violation("Agreement", $"the client heard {(heard ? "COMMITTED" : "ABORTED")} for {sim.Name(plan.Id)} but it ended {stored?.State.ToString() ?? "unknown"}");
        }
    }

    private void CheckSagaEnd(TxPlan plan, TransactionRecord? stored)
    {
        if (stored is null) return; // never recorded: nothing ran (checked: no effects)
        if (!stored.State.IsFinished()) sim.Violation("Termination", $"saga {sim.Name(plan.Id)} is still {stored.State} after healing");
        foreach (var s in stored.Steps)
        {
            var acted = _effects.Contains($"action {plan.Id}/{s.Name}");
            var undone = _effects.Contains($"compensation {plan.Id}/{s.Name}");
            if (stored.State == TransactionState.SagaCompleted && !s.Optional && (!acted || undone))
                sim.Violation("SagaOutcome", $"saga {sim.Name(plan.Id)} completed but required step {s.Name} has action={acted}, compensation={undone}");
            if (stored.State == TransactionState.SagaCompensated && acted && !undone && s.CompensationPayload is not null)
                sim.Violation("SagaOutcome", $"saga {sim.Name(plan.Id)} compensated but step {s.Name} took effect and was not compensated");
        }
    }
}
