using TwoPC.Coordinator.Diagnostics;
using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Protocols.TwoPhase;

/// <summary>
/// Two-phase commit with presumed abort. Phase 1 sends Prepare to every branch in parallel. All PREPARED or
/// READ_ONLY: the COMMITTING record is forced to the log, then the client is answered, then Commit goes to the
/// prepared branches. Any ABORT vote, rejection or missing vote at the deadline: ABORTING (not forced: with no
/// record, the answer is abort anyway) and Abort goes to every branch that may have prepared. Phase 2 retries with
/// capped, jittered backoff until every branch acknowledges. Only a commit decision is ever forced.
/// </summary>
public sealed partial class TwoPhaseCommitProcessor(EngineServices engine) : ITransactionProcessor
{
    /// <inheritdoc />
    public TransactionMode Mode => TransactionMode.TwoPhase;

    /// <summary>Runs the protocol for a client's Commit and answers with the decision.</summary>
    public async Task<CommitResult> CommitAsync(TransactionHandle handle, bool waitForCompletion, CancellationToken cancellationToken)
    {
        AfterGate next;
        List<BranchRecord> branches = [];
        var onePhase = false;
        var deadline = default(DateTimeOffset);
        using (await handle.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = handle.Record;
            if (handle.InDoubt) throw new TransactionInDoubtException(handle.Id, "the decision is being resolved from the log; ask GetTransaction later");
            switch (record.State)
            {
                case TransactionState.Active:
                    if (record.Deadline <= engine.Now)
                    {
                        DecideAbortLocked(handle, "the transaction timed out before Commit");
                        throw AbortedBeforeCommit(record);
                    }

                    if (record.Branches.Count == 0)
                    {
                        record.State = TransactionState.Committed;
                        record.DecidedAt = engine.Now;
                        engine.Metrics.Add("committed");
                        next = AfterGate.Finish;
                        break;
                    }

                    record.State = TransactionState.Preparing;
                    foreach (var b in record.Branches) b.PrepareSent = true;
                    branches = [.. record.Branches];
                    onePhase = engine.Options.OnePhaseCommit && branches.Count == 1;
                    handle.OnePhase = onePhase;
                    deadline = record.Deadline;
                    next = AfterGate.Run;
                    break;
                case TransactionState.Preparing:
                    next = AfterGate.Wait;
                    break;
                default:
                    if (record.State.IsAbortDecided() && !WentThroughPrepare(record)) throw AbortedBeforeCommit(record);
                    next = AfterGate.Answer;
                    break;
            }
        }

        switch (next)
        {
            case AfterGate.Finish:
                // Zero branches: committed with nothing to do.
                await engine.FinishAsync(handle).ConfigureAwait(false);
                break;
            case AfterGate.Wait:
                // A Commit is already running (a retried call): answer with its decision.
                await handle.Decided.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                break;
            case AfterGate.Run:
                await engine.Faults.HitAsync(FaultPoints.BeforePrepare, handle.Id, cancellationToken).ConfigureAwait(false);
                if (onePhase)
                {
                    await OnePhaseAsync(handle, branches[0], deadline, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    var (abortReason, votes) = await CollectVotesAsync(handle, branches, deadline).ConfigureAwait(false);
                    await DecideAsync(handle, votes, abortReason).ConfigureAwait(false);
                }

                break;
        }

        return await AnswerAsync(handle, waitForCompletion, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What CommitAsync does once it leaves the handle's lock.</summary>
    private enum AfterGate
    {
        /// <summary>The state is already decided: answer with it.</summary>
        Answer,

        /// <summary>Committed with no branches: finish, then answer.</summary>
        Finish,

        /// <summary>Another Commit is running the protocol: wait for its decision, then answer.</summary>
        Wait,

        /// <summary>This call starts the protocol: prepare, decide, then answer.</summary>
        Run,
    }

    /// <summary>A client's Abort: decides abort unless commit is already decided.</summary>
    public async Task<CommitResult> AbortAsync(TransactionHandle handle, string reason, CancellationToken cancellationToken)
    {
        CommitResult result;
        bool abandonPrepare;
        using (await handle.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = handle.Record;
            if (handle.InDoubt) throw new TransactionInDoubtException(handle.Id, "the decision is being resolved from the log");
            if (record.State.IsCommitDecided()) throw new TransactionStateConflictException($"transaction {handle.Id} is already committed; it cannot be aborted");
            if (record.State is TransactionState.Preparing && handle.OnePhase)
                throw new TransactionStateConflictException($"transaction {handle.Id} is committing in one phase; its outcome rests with the participant");
            abandonPrepare = record.State == TransactionState.Preparing;
            if (!record.State.IsDecided()) DecideAbortLocked(handle, reason);
            result = new CommitResult(false, record.Reason, record.State);
        }

        // Outside the gate: the cancelled calls end phase 1 at once, and its DecideAsync takes the gate.
        if (abandonPrepare) handle.AbandonPrepareCalls();
        return result;
    }

    /// <summary>Aborts an undecided transaction whose deadline passed (called by the timeout sweeper).</summary>
    public async Task AbortIfExpiredAsync(TransactionHandle handle, CancellationToken cancellationToken)
    {
        bool abandonPrepare;
        using (await handle.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = handle.Record;
            if (record.State.IsDecided() || record.State.IsFinished() || handle.InDoubt || handle.OnePhase || record.Deadline > engine.Now) return;
            CoordinatorLog.TimedOut(engine.Logger, handle.Id);
            engine.Metrics.Add("timeouts");
            abandonPrepare = record.State == TransactionState.Preparing;
            DecideAbortLocked(handle, record.State == TransactionState.Active
                ? "the transaction timed out before Commit"
                : "not every branch voted before the deadline");
        }

        // Outside the gate: the cancelled calls end phase 1 at once, and its DecideAsync takes the gate.
        if (abandonPrepare) handle.AbandonPrepareCalls();
    }

    /// <inheritdoc />
    public async Task ResumeAsync(TransactionHandle handle, CancellationToken cancellationToken)
    {
        bool commit;
        List<BranchRecord> targets;
        using (await handle.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = handle.Record;
            if (record.State is TransactionState.Active or TransactionState.Preparing)
            {
                // Recovered undecided: nobody was told "committed", so abort (presumed abort would answer the same).
                record.State = TransactionState.Aborting;
                record.Reason ??= "the coordinator restarted before a decision";
                record.DecidedAt = engine.Now;
                _ = engine.SaveLazy(record);
            }

            if (record.State.IsFinished())
            {
                targets = [];
                commit = false;
            }
            else
            {
                commit = record.State == TransactionState.Committing;
                targets = record.Branches.Where(b => commit ? NeedsCommit(b) : NeedsAbort(b)).ToList();
            }

            handle.Decided.TrySetResult();
        }

        await Task.WhenAll(targets.Select(b => DeliverAsync(handle, b, commit, cancellationToken))).ConfigureAwait(false);
        await engine.Faults.HitAsync(FaultPoints.BeforeFinish, handle.Id, cancellationToken).ConfigureAwait(false);

        using (await handle.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = handle.Record;
            if (record.State == TransactionState.Committing) record.State = TransactionState.Committed;
            else if (record.State == TransactionState.Aborting) record.State = TransactionState.Aborted;
        }

        await engine.FinishAsync(handle).ConfigureAwait(false);
    }

    /// <summary>
    /// True when phase 1 ran: a Commit then answers the decision it produced (a retried Commit gets the same answer).
    /// Otherwise the transaction was aborted before any Commit (client Abort, timeout) and Commit is a conflict.
    /// </summary>
    internal static bool WentThroughPrepare(TransactionRecord record) => record.Branches.Exists(b => b.PrepareSent);

    internal static TransactionStateConflictException AbortedBeforeCommit(TransactionRecord record) =>
        new($"transaction {record.Id} was aborted before Commit ({record.Reason}); it cannot be committed");

    private static bool NeedsCommit(BranchRecord b) => b.Vote == Vote.Prepared && b.State != BranchState.Committed;

    // A branch may hold a durable yes whenever Prepare was sent and no ABORT/READ_ONLY answer came back.
    private static bool NeedsAbort(BranchRecord b) => b.PrepareSent && b.Vote is Vote.Prepared or Vote.None && b.State != BranchState.Aborted;
}
