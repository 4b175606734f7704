using TwoPC.Coordinator.Transactions;

namespace TwoPC.Simulation.Tests.World;

/// <summary>
/// The protocol's invariants, checked at the moment that matters (delivery, durable write, client answer) and at
/// the end of the run. Each failure names its invariant; the runner prints the seed.
/// </summary>
internal sealed class Invariants(Simulation sim)
{
    private readonly Dictionary<string, bool> _decided = new(StringComparer.Ordinal);

    // Decisions known only from a coordinator save that has not been confirmed by anything else yet. If the lying
    // disk drops that save's pages, the decision was never made: nobody heard it and a crash leaves no trace of it.
    private readonly HashSet<string> _decidedByCachedSave = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(string Step, int Group)>> _compensated = new(StringComparer.Ordinal);
    private readonly HashSet<string> _effects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TransactionRecord> _forgotten = new(StringComparer.Ordinal);

    /// <summary>The last version of a record the engine forgot (deleted from the log), or null.</summary>
    public TransactionRecord? Forgotten(string tx) => _forgotten.TryGetValue(tx, out var r) ? r.Clone() : null;

    /// <summary>The decision seen so far (commit true, abort false), or null.</summary>
    public bool? Decision(string tx) => _decided.TryGetValue(tx, out var d) ? d : null;

    /// <summary>
    /// Retention: only a finished transaction may be forgotten, never a parked saga (it still needs work), and a
    /// committed one only once every prepared branch committed — otherwise the in-doubt query of a branch still
    /// prepared would be answered "presumed abort" for a committed transaction.
    /// </summary>
    public void OnForgotten(TransactionRecord r)
    {
        _forgotten[r.Id] = r.Clone();
        if (r.State == TransactionState.SagaNeedsAttention)
            sim.Violation("ParkedNeverForgotten", $"saga {sim.Name(r.Id)} was forgotten while parked as NEEDS_ATTENTION ({r.Reason})");
        if (!r.State.IsFinished())
            sim.Violation("ForgetOnlyFinished", $"{sim.Name(r.Id)} was forgotten in state {r.State}");
        if (r.Mode != TransactionMode.TwoPhase || !r.State.IsCommitDecided()) return;
        foreach (var b in r.Branches.Where(b => b.Vote == Vote.Prepared))
        {
            var row = sim.Participant(b.ParticipantAddress).Branches.ReadDurable((r.Id, b.BranchId));
            if (row?.Status != BranchStatus.Committed)
                sim.Violation("ForgetOnlyFinished", $"{sim.Name(r.Id)} was forgotten as {r.State} while branch {b.BranchId} at {sim.Participant(b.ParticipantAddress).Name} is {row?.Status.ToString() ?? "unknown"}");
        }
    }

    /// <summary>
    /// Presumed abort after forgetting: an in-doubt query the coordinator answers "no record, presumed abort" for a
    /// transaction that committed may only come from a participant whose branch already committed (a late or
    /// duplicate query, whose answer it ignores). From a branch still prepared it would abort a committed transaction.
    /// </summary>
    public void OnPresumedAbort(string tx, int branch, SimParticipant p)
    {
        if (Decision(tx) != true) return;
        var row = p.Branches.Read((tx, branch));
        if (row?.Status == BranchStatus.Prepared)
            sim.Violation("PresumedAbortAfterForget", $"{p.Name} holds {sim.Name(tx)}/{branch} prepared and was told \"presumed abort\", but {sim.Name(tx)} committed");
    }

    /// <summary>
    /// Idempotency keys: while a transaction begun with a key has a durable commit decision, Begin with that key
    /// returns that transaction (never a new one that would apply the transfer again).
    /// </summary>
    public void OnKeyedBegin(TxPlan plan, string id)
    {
        foreach (var earlier in plan.Ids)
        {
            if (earlier == id) continue;
            if (sim.Log.GetDurable(earlier) is { } d && d.State.IsCommitDecided())
                sim.Violation("IdempotencyKey", $"Begin with key {plan.Key} returned a new transaction ({id[..16].TrimStart('0')}…) while {sim.Name(earlier)}, begun with that key, is durably {d.State}");
        }
    }

    /// <summary>
    /// Write-ahead (saga): Execute reaches a participant only once the saga and the step's StepRunning are durable;
    /// Compensate only once StepCompensating is.
    /// </summary>
    public void OnStepDelivered(string tx, string step, bool compensation)
    {
        if (_forgotten.ContainsKey(tx)) return; // a late duplicate after the saga ended and was forgotten
        var durable = sim.Log.GetDurable(tx);
        var s = durable?.Steps.FirstOrDefault(x => x.Name == step);
        var ok = compensation
            ? s?.State is BranchState.StepCompensating or BranchState.StepCompensated or BranchState.StepCompensationFailed
            : s is not null && s.State != BranchState.StepPending;
        if (!ok)
            sim.Violation("WriteAhead", $"{(compensation ? "Compensate" : "Execute")} of {sim.Name(tx)}/{step} delivered while the durable saga record is {(durable is null ? "absent" : $"{durable.State} with the step {s?.State.ToString() ?? "missing"}")}");
    }

    /// <summary>Write-ahead (coordinator): a Commit reaches a participant only after the decision is durable.</summary>
    public void OnCommitDelivered(string tx)
    {
        if (sim.Log.GetDurable(tx) is null && _forgotten.TryGetValue(tx, out var gone) && gone.State.IsCommitDecided()) return; // late duplicate
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

        var known = _decided.ContainsKey(r.Id);
        Decide(r.Id, commit, $"coordinator save {r.State}");
        if (!known) _decidedByCachedSave.Add(r.Id);
    }

    /// <summary>
    /// The lying disk dropped the latest, not yet durable version of these records: a decision known only from such
    /// a save is forgotten (it reached no one; a later save or answer decides again).
    /// </summary>
    public void OnDroppedPages(IReadOnlyList<string> ids)
    {
        foreach (var id in ids)
        {
            if (_decidedByCachedSave.Remove(id) && sim.Log.GetDurable(id)?.State.IsDecided() != true) _decided.Remove(id);
        }
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
        // An optional step of unknown outcome may be undone on its own while the saga goes on: not part of the rollback order.
        if (sim.Stored(tx)?.Steps.FirstOrDefault(s => s.Name == step) is { Optional: true }) return;
        var group = sim.GroupOf(tx, step);
        var done = _compensated.TryGetValue(tx, out var list) ? list : _compensated[tx] = [];
        if (done.FirstOrDefault(d => d.Group < group) is { Step: not null } earlier)
            sim.Violation("SagaReverseOrder", $"{sim.Name(tx)}/{step} (group {group}) compensated after {earlier.Step} (group {earlier.Group})");
        done.Add((step, group));
    }

    /// <summary>Agreement + Stability: one decision per transaction, never changed.</summary>
    private void Decide(string tx, bool commit, string source)
    {
        if (!source.StartsWith("coordinator save", StringComparison.Ordinal)) _decidedByCachedSave.Remove(tx);
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

    // The transaction took effect: its decision was commit or a participant durably committed a branch.
    private bool Applied(string tx) => Decision(tx) == true || OnePhaseCommitted(tx);

    /// <summary>
    /// Idempotency keys: one transfer per key, however often the client started over — while the coordinator
    /// remembers it: a key is promised only for the retention of its transaction, so a transaction begun after the
    /// earlier one was forgotten may apply again.
    /// </summary>
    private void CheckKeyAppliedOnce(TxPlan plan)
    {
        // A transaction whose every branch voted READ_ONLY changed nothing (and its commit is never forced): it
        // cannot apply a transfer, so a fresh transaction for the key after a crash lost it applies nothing twice.
        var applied = plan.Ids.Where(id => Applied(id) && !AllReadOnly(id)).ToList();
        for (var i = 0; i < applied.Count; i++)
        {
            for (var j = i + 1; j < applied.Count; j++)
            {
                if (plan.ForgottenBefore[applied[j]].Contains(applied[i])) continue;
                sim.Violation("IdempotencyKey", $"key {plan.Key} was applied twice: {sim.Name(applied[i])} and {sim.Name(applied[j])} both committed (the second begun while the first was remembered)");
            }
        }
    }

    /// <summary>End of run: every branch final and agreeing with the decision; sagas complete or fully compensated.</summary>
    public void AtEnd(IEnumerable<TxPlan> plans)
    {
        foreach (var plan in plans)
        {
            if (plan.Saga)
            {
                CheckSagaEnd(plan, sim.Stored(plan.Id));
                continue;
            }

            if (plan.Key is not null) CheckKeyAppliedOnce(plan);
            var ids = plan.Key is null ? [plan.Id] : plan.Ids;
            foreach (var id in ids)
            {
                var record = sim.Stored(id);
                var branches = sim.Participants.SelectMany(p => p.Votes.Keys.Where(k => k.Tx == id).Select(k => (Participant: p, k.Branch))).ToList();
                var committed = record?.State.IsCommitDecided() == true || Decision(id) == true
                    || branches.Count == 1 && branches.Any(b => b.Participant.Branches.ReadDurable((id, b.Branch))?.Status == BranchStatus.Committed);
                foreach (var (participant, branch) in branches)
                {
                    var row = participant.Branches.ReadDurable((id, branch));
                    if (row?.Status == BranchStatus.Prepared)
                        sim.Violation("Termination", $"{sim.Name(id)}/{branch} at {participant.Name} is still in doubt after healing");
                    if (committed && row?.Status is BranchStatus.Aborted or BranchStatus.VotedAbort)
                        sim.Violation("Agreement", $"{sim.Name(id)} committed but branch {branch} at {participant.Name} is {row.Status}");
                    if (!committed && row?.Status == BranchStatus.Committed)
                        sim.Violation("Agreement", $"{sim.Name(id)} is {record?.State.ToString() ?? "unknown (presumed abort)"} but branch {branch} at {participant.Name} committed");
                }

                if (id == plan.Id && plan.ClientHeard is { } heard && heard != committed && !(heard && plan.Votes.All(v => v.Vote == Vote.ReadOnly)))
                    sim.Violation("Agreement", $"the client heard {(heard ? "COMMITTED" : "ABORTED")} for {sim.Name(id)} but it ended {record?.State.ToString() ?? "unknown"}");
            }
        }
    }

    private void CheckSagaEnd(TxPlan plan, TransactionRecord? stored)
    {
        if (stored is null)
        {
            // Never recorded (or its record was lost): then nothing may have run.
            if (plan.Id.Length > 0 && _effects.Any(e => e.Contains(plan.Id, StringComparison.Ordinal)))
                sim.Violation("WriteAhead", $"saga {sim.Name(plan.Id)} has no record but its steps took effect: {string.Join(", ", _effects.Where(e => e.Contains(plan.Id, StringComparison.Ordinal)))}");
            return;
        }

        if (!sim.SagaDone(stored.State))
            sim.Violation("Termination", $"saga {sim.Name(plan.Id)} is still {stored.State} after healing{(stored.State == TransactionState.SagaNeedsAttention ? " (a parked saga must be retried by the engine)" : "")}: {stored.Reason}");
        foreach (var s in stored.Steps)
        {
            var acted = _effects.Contains($"action {plan.Id}/{s.Name}");
            var undone = _effects.Contains($"compensation {plan.Id}/{s.Name}");
            if (stored.State == TransactionState.SagaCompleted && !s.Optional && (!acted || undone))
                sim.Violation("SagaOutcome", $"saga {sim.Name(plan.Id)} completed but required step {s.Name} has action={acted}, compensation={undone}");
            if (stored.State == TransactionState.SagaCompensated && acted && !undone && s.CompensationPayload is not null)
                sim.Violation("SagaOutcome", $"saga {sim.Name(plan.Id)} compensated but step {s.Name} took effect and was not compensated");
            if (!s.Optional || !acted || !sim.Participant(s.ParticipantAddress).StepHung.Contains((plan.Id, s.Name))) continue;
            // An optional step whose outcome stayed unknown (it acted, no answer ever came): compensated when it
            // can be, otherwise reported in the step and in the saga's reason — never a silent COMPLETED.
            if (s.CompensationPayload is not null && !undone)
                sim.Violation("SagaOptionalUnknown", $"saga {sim.Name(plan.Id)} is {stored.State}; optional step {s.Name} never answered, took effect and was not compensated (state {s.State}, outcome unknown {s.OutcomeUnknown})");
            if (s.CompensationPayload is null && stored.State == TransactionState.SagaCompleted && (!s.OutcomeUnknown || stored.Reason?.Contains(s.Name, StringComparison.Ordinal) != true))
                sim.Violation("SagaOptionalUnknown", $"saga {sim.Name(plan.Id)} COMPLETED with reason '{stored.Reason}'; optional step {s.Name} (no compensation) never answered and took effect, but the saga does not report it (state {s.State}, outcome unknown {s.OutcomeUnknown})");
        }
    }
}
