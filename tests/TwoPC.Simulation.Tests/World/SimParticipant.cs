using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Simulation.Tests.World;

/// <summary>Durable status of a 2PC branch at a participant (the SDK's <c>BranchStatus</c>).</summary>
internal enum BranchStatus { Prepared, ReadOnly, VotedAbort, Committed, Aborted }

internal sealed record BranchRow(BranchStatus Status, bool Tombstone);

internal enum BarrierKind { Action, Compensation }

internal sealed record BarrierRow(bool Succeeded, bool NullCompensation);

/// <summary>
/// A model of one participant process built on the SDK (<c>BranchEngine</c> + <c>SagaBarrier</c>) over a
/// <see cref="SimDisk{TKey,TValue}"/>: prepared record forced before a PREPARED vote; READ_ONLY and ABORT votes
/// written lazily; a duplicate Prepare flushes and answers the first vote; Abort before Prepare forces a tombstone;
/// Commit/Abort idempotent and forced before the ack; saga barrier rows forced with the step's effect.
/// Business decisions (how a branch votes, whether a step succeeds) come from the scenario's plan.
/// </summary>
internal sealed class SimParticipant(string name, Simulation sim)
{
    public SimDisk<(string Tx, int Branch), BranchRow> Branches { get; } = new();
    public SimDisk<(string Tx, string Step, BarrierKind Kind), BarrierRow> Barrier { get; } = new();

    /// <summary>How each branch votes and whether each saga step succeeds (set by the scenario).</summary>
    public Dictionary<(string Tx, int Branch), Vote> Votes { get; } = [];
    public Dictionary<(string Tx, string Step), bool> StepSucceeds { get; } = [];

    /// <summary>Steps whose action runs but whose answer never comes back (a resource that hangs after acting).</summary>
    public HashSet<(string Tx, string Step)> StepHangs { get; } = [];

    /// <summary>
    /// Steps that really acted without answering. A saga's plan is keyed by its id, known only once RunSaga returned,
    /// so a step the engine executed before that answered normally and is not in this set.
    /// </summary>
    public HashSet<(string Tx, string Step)> StepHung { get; } = [];

    public string Name => name;
    public string Address => $"http://{name}.sim";
    public bool Up { get; set; } = true;

    public PrepareReply Prepare(string tx, int branch, bool onePhase)
    {
        var key = (tx, branch);
        if (Branches.Read(key) is { } existing)
        {
            Confirm(tx, branch, existing);
            return Answer(existing, onePhase);
        }

        var vote = Votes.GetValueOrDefault(key, Vote.Prepared);
        BranchRow row = vote switch
        {
            Vote.Prepared when onePhase => new(BranchStatus.Committed, false),
            Vote.Prepared => new(BranchStatus.Prepared, false),
            Vote.ReadOnly => new(BranchStatus.ReadOnly, false),
            _ => new(BranchStatus.VotedAbort, false),
        };
        var force = row.Status is BranchStatus.Prepared or BranchStatus.Committed;
        Write(tx, branch, row, force, row.Status == BranchStatus.Committed ? $"commit {tx}/{branch}" : null);
        return Answer(row, onePhase);
    }

    public void Commit(string tx, int branch)
    {
        var key = (tx, branch);
        switch (Branches.Read(key)?.Status)
        {
            case null:
                throw new ParticipantRejectedException($"branch {tx}/{branch} was never prepared here");
            case BranchStatus.Committed or BranchStatus.ReadOnly:
                Confirm(tx, branch, Branches.Read(key)!);
                return;
            case BranchStatus.VotedAbort or BranchStatus.Aborted:
                sim.Violation("Agreement", $"Commit delivered to {name} for branch {Sim(tx)}/{branch}, which is already aborted");
                throw new ParticipantRejectedException("already aborted");
        }

        Write(tx, branch, new BranchRow(BranchStatus.Committed, false), force: true, $"commit {tx}/{branch}");
    }

    public void Abort(string tx, int branch)
    {
        var key = (tx, branch);
        switch (Branches.Read(key)?.Status)
        {
            case null:
                Write(tx, branch, new BranchRow(BranchStatus.Aborted, Tombstone: true), force: true);
                return;
            case BranchStatus.Aborted or BranchStatus.VotedAbort or BranchStatus.ReadOnly:
                Confirm(tx, branch, Branches.Read(key)!);
                return;
            case BranchStatus.Committed:
                sim.Violation("Agreement", $"Abort delivered to {name} for branch {Sim(tx)}/{branch}, which is already committed");
                throw new ParticipantRejectedException("already committed");
        }

        Write(tx, branch, new BranchRow(BranchStatus.Aborted, false), force: true);
    }

    public ExecuteReply Execute(string tx, string step)
    {
        if (Barrier.Read((tx, step, BarrierKind.Compensation)) is not null)
            return new ExecuteReply(StepOutcome.RejectedAfterCompensation, [], "the step was already compensated");
        if (Barrier.Read((tx, step, BarrierKind.Action)) is { } done)
        {
            Barrier.Flush();
            if (StepHangs.Contains((tx, step))) throw Hung(tx, step);
            return Reply(done);
        }

        var row = new BarrierRow(StepSucceeds.GetValueOrDefault((tx, step), true), false);
        Barrier.Write((tx, step, BarrierKind.Action), row, force: true, row.Succeeded ? $"action {tx}/{step}" : null);
        if (row.Succeeded) sim.Checks.OnSagaEffect(this, tx, step, compensation: false);
        if (StepHangs.Contains((tx, step))) throw Hung(tx, step);
        return Reply(row);
    }

    private NoReplyException Hung(string tx, string step)
    {
        StepHung.Add((tx, step));
        return new NoReplyException();
    }

    public bool Compensate(string tx, string step)
    {
        if (Barrier.Read((tx, step, BarrierKind.Compensation)) is { } done)
        {
            Barrier.Flush();
            return done.NullCompensation;
        }

        var action = Barrier.Read((tx, step, BarrierKind.Action));
        var isNull = action is null || !action.Succeeded;
        Barrier.Write((tx, step, BarrierKind.Compensation), new BarrierRow(true, isNull), force: true, isNull ? null : $"compensation {tx}/{step}");
        if (!isNull) sim.Checks.OnSagaEffect(this, tx, step, compensation: true);
        return isNull;
    }

    /// <summary>Power loss: the page cache is gone.</summary>
    public void Crash()
    {
        Up = false;
        Branches.Crash();
        Barrier.Crash();
    }

    /// <summary>
    /// Branches holding a yes vote and waiting for the decision: prepared as read, or prepared on disk under a
    /// decision whose write failed (it reads back but is not durable).
    /// </summary>
    public IEnumerable<(string Tx, int Branch)> InDoubt() =>
        Branches.All().Where(p => p.Value.Status == BranchStatus.Prepared || Branches.ReadDurable(p.Key)?.Status == BranchStatus.Prepared).Select(p => p.Key).ToList();

    /// <summary>The coordinator's answer to an in-doubt query.</summary>
    public void Resolve(string tx, int branch, bool commit)
    {
        var now = Branches.Read((tx, branch));
        if (now?.Status == BranchStatus.Prepared)
        {
            if (commit) Commit(tx, branch);
            else Abort(tx, branch);
        }
        else if (now is not null && Branches.ReadDurable((tx, branch))?.Status == BranchStatus.Prepared)
        {
            Confirm(tx, branch, now); // the decision was applied but its write failed: write it again
        }
    }

    private void Write(string tx, int branch, BranchRow row, bool force, string? effect = null)
    {
        var before = Branches.Read((tx, branch));
        if (before is { Status: BranchStatus.Committed or BranchStatus.Aborted } && before.Status != row.Status)
            sim.Violation("Stability", $"{name} branch {Sim(tx)}/{branch} changed from final {before.Status} to {row.Status}");
        Branches.Write((tx, branch), row, force, effect);
        sim.Trace($"{name} {Sim(tx)}/{branch} -> {row.Status}{(row.Tombstone ? " (tombstone)" : "")}{(force ? " forced" : " lazy")}");
        if (force) sim.Checks.OnParticipantFlush(tx);
    }

    /// <summary>
    /// Before answering from a record already there (a duplicate): make it durable. A flush is not enough after a
    /// failed fsync (the record reads back but its pages were dropped), so the record is written again and forced —
    /// the rule the SDK follows; <see cref="SimConfig.ParticipantFlushThenAnswer"/> models the flush-and-re-read
    /// alternative, which the WriteAhead invariant must catch on a lying disk.
    /// </summary>
    private void Confirm(string tx, int branch, BranchRow row)
    {
        if (sim.Config.ParticipantFlushThenAnswer) Branches.Flush();
        else if (Branches.ReadDurable((tx, branch)) != row) Write(tx, branch, row, force: true);
        else Branches.Flush();
    }

    private string Sim(string tx) => sim.Name(tx);

    private static PrepareReply Answer(BranchRow row, bool onePhase) => row.Status switch
    {
        BranchStatus.Prepared => new(Vote.Prepared, null),
        BranchStatus.Committed => new(Vote.Prepared, null, onePhase ? true : null),
        BranchStatus.ReadOnly => new(Vote.ReadOnly, null, onePhase ? true : null),
        _ => new(Vote.Abort, row.Tombstone ? "the branch was aborted before Prepare" : "voted abort", onePhase ? false : null),
    };

    private static ExecuteReply Reply(BarrierRow row) =>
        row.Succeeded ? new ExecuteReply(StepOutcome.Succeeded, [1], null) : new ExecuteReply(StepOutcome.Failed, [], "business failure");
}

/// <summary>Thrown by a participant handler that acted but never answers: the caller waits for its own timeout.</summary>
internal sealed class NoReplyException : Exception;
