using TwoPC.Coordinator.Diagnostics;
using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Protocols.TwoPhase;

public sealed partial class TwoPhaseCommitProcessor
{
    /// <summary>
    /// Sends Prepare to every branch in parallel and returns as soon as one votes ABORT, or when all answered, or
    /// when the transaction was decided meanwhile (client Abort, deadline: see <see cref="TransactionHandle.AbandonPrepareCalls"/>).
    /// Calls still running then are cancelled; their votes are ignored, and a fault of one is logged.
    /// </summary>
    private async Task<(string? AbortReason, Dictionary<int, PrepareReply> Votes)> CollectVotesAsync(TransactionHandle handle, List<BranchRecord> branches, DateTimeOffset deadline)
    {
        var votes = new Dictionary<int, PrepareReply>();
        var abandoned = handle.PrepareCalls;
        var pending = branches.Select(async b => (await PrepareWithRetryAsync(handle.Id, b, onePhase: false, deadline, abandoned).ConfigureAwait(false)).Reply).ToList();
        var byTask = pending.Select((t, i) => (t, branches[i])).ToDictionary(p => (Task)p.t, p => p.Item2);
        try
        {
            while (pending.Count > 0)
            {
                var done = await Task.WhenAny(pending).ConfigureAwait(false);
                // Decided by someone else while preparing (client Abort, deadline): DecideAsync finds it past Preparing and keeps that decision.
                if (abandoned.IsCancellationRequested) return ("decided while the votes were being collected", votes);
                pending.Remove(done);
                var reply = await done.ConfigureAwait(false);
                var branch = byTask[done];
                votes[branch.BranchId] = reply;
                if (reply.Vote == Vote.Abort) return ($"branch {branch.BranchId} ({branch.Resource}) voted abort: {reply.Reason}", votes);
                if (reply.Vote == Vote.None) return ($"branch {branch.BranchId} ({branch.Resource}) gave no vote: {reply.Reason}", votes);
            }

            return (null, votes);
        }
        finally
        {
            if (pending.Count > 0)
            {
                handle.AbandonPrepareCalls();
                engine.Track(handle.Id, ObserveAbandonedAsync(handle.Id, [.. pending.Select(t => (t, byTask[t]))]));
            }
        }
    }

    /// <summary>Waits for abandoned Prepare calls to end; a cancellation is their expected end, any other fault is logged.</summary>
    private async Task ObserveAbandonedAsync(string transactionId, List<(Task<PrepareReply> Call, BranchRecord Branch)> calls)
    {
        foreach (var (call, branch) in calls)
        {
            try
            {
                await call.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception ex)
            {
                CoordinatorLog.AbandonedPrepareFailed(engine.Logger, transactionId, branch.BranchId, ex);
            }
        }
    }

    /// <summary>
    /// Prepare with retries until the deadline. A definitive rejection counts as an ABORT vote; no answer gives
    /// <see cref="Vote.None"/> (the branch may hold a durable yes, so it must hear Abort) and aborts as well.
    /// Once <paramref name="abandoned"/> is cancelled the call is cancelled and no further attempt is made
    /// (throws <see cref="OperationCanceledException"/>).
    /// </summary>
    private async Task<(PrepareReply Reply, bool Answered)> PrepareWithRetryAsync(string transactionId, BranchRecord branch, bool onePhase, DateTimeOffset deadline, CancellationToken abandoned)
    {
        var attempt = 0;
        string lastError = "no answer";
        while (true)
        {
            attempt++;
            abandoned.ThrowIfCancellationRequested();
            var remaining = deadline - engine.Now;
            if (remaining <= TimeSpan.Zero) return (new PrepareReply(Vote.None, $"no vote before the deadline ({lastError})"), false);
            using var timeout = new CancellationTokenSource(remaining, engine.Time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, engine.Stopping, abandoned);
            try
            {
                return (await engine.Participants.PrepareAsync(branch, transactionId, onePhase, deadline, linked.Token).ConfigureAwait(false), true);
            }
            catch (ParticipantRejectedException ex)
            {
                return (new PrepareReply(Vote.Abort, ex.Message, onePhase ? false : null), true);
            }
            catch (ParticipantUnreachableException ex)
            {
                // A cancelled RPC may surface as "unreachable": an abandoned call ends here, without a retry.
                abandoned.ThrowIfCancellationRequested();
                lastError = ex.Message;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !abandoned.IsCancellationRequested)
            {
                return (new PrepareReply(Vote.None, $"no vote before the deadline ({lastError})"), false);
            }

            engine.Metrics.Add("prepare_retries");
            var delay = engine.Backoff(attempt, engine.Options.RetryInitialDelay, engine.Options.RetryMaxDelay);
            var left = deadline - engine.Now;
            if (left <= TimeSpan.Zero) continue;
            // Abandonment does not cut the backoff short, it only prevents the next attempt: a delay on the injected
            // clock resumes its awaiter on the thread pool when cancelled, and the seeded simulation (docs/simulation.md)
            // must see that only at a shutdown.
            await engine.DelayAsync(delay < left ? delay : left, engine.Stopping).ConfigureAwait(false);
        }
    }

    /// <summary>Applies the votes and takes the decision, unless a timeout or Abort took it first.</summary>
    private async Task DecideAsync(TransactionHandle handle, Dictionary<int, PrepareReply> votes, string? abortReason)
    {
        var startPhase2 = false;
        using (await handle.LockAsync(CancellationToken.None).ConfigureAwait(false))
        {
            var record = handle.Record;
            if (record.State != TransactionState.Preparing) return; // decided meanwhile (timeout, client Abort)
            foreach (var branch in record.Branches)
            {
                if (!votes.TryGetValue(branch.BranchId, out var reply)) continue;
                branch.Vote = reply.Vote;
                branch.Reason = reply.Reason;
                branch.State = reply.Vote switch
                {
                    Vote.Prepared => BranchState.Prepared,
                    Vote.ReadOnly => BranchState.ReadOnly,
                    _ => BranchState.VotedAbort,
                };
            }

            if (abortReason is not null)
            {
                DecideAbortLocked(handle, abortReason);
                return;
            }

            if (record.Branches.All(b => b.Vote == Vote.ReadOnly))
            {
                record.State = TransactionState.Committed;
                record.DecidedAt = engine.Now;
                engine.Metrics.Add("committed");
                startPhase2 = true; // nothing to deliver; FinishAsync runs through the driver below
            }
            else
            {
                await engine.Faults.HitAsync(FaultPoints.VotesIn, handle.Id, CancellationToken.None).ConfigureAwait(false);
                var decision = record.Clone();
                decision.State = TransactionState.Committing;
                decision.DecidedAt = engine.Now;
                try
                {
                    // Rule 1: the commit decision is on disk before anyone hears "committed".
                    await engine.Log.SaveAsync(decision, WriteDurability.Forced, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    handle.InDoubt = true;
                    handle.Decided.TrySetResult();
                    CoordinatorLog.DecisionInDoubt(engine.Logger, handle.Id, ex);
                    engine.StartDriver(handle, ct => ResolveInDoubtAsync(handle, decision, ct));
                    return;
                }

                await engine.Faults.HitAsync(FaultPoints.DecisionDurable, handle.Id, CancellationToken.None).ConfigureAwait(false);
                record.State = TransactionState.Committing;
                record.DecidedAt = decision.DecidedAt;
                engine.Metrics.Add("committed");
                CoordinatorLog.Decided(engine.Logger, handle.Id, "commit", null);
                startPhase2 = true;
            }

            handle.Decided.TrySetResult();
        }

        if (startPhase2) engine.StartDriver(handle, ct => ResumeAsync(handle, ct));
    }

    /// <summary>Single branch: the participant prepares and commits in one call; no decision record is needed.</summary>
    private async Task OnePhaseAsync(TransactionHandle handle, BranchRecord branch, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var (reply, answered) = await PrepareWithRetryAsync(handle.Id, branch, onePhase: true, deadline, CancellationToken.None).ConfigureAwait(false);
        if (!answered)
        {
            // No answer: the participant may have committed. Keep asking (Prepare is idempotent) in the background.
            using (await handle.LockAsync(CancellationToken.None).ConfigureAwait(false)) handle.InDoubt = true;
            handle.Decided.TrySetResult();
            engine.StartDriver(handle, ct => ResolveOnePhaseAsync(handle, branch, ct));
            throw new TransactionInDoubtException(handle.Id, "the only branch did not answer its one-phase commit; the coordinator keeps asking");
        }

        await ApplyOnePhaseAsync(handle, branch, reply).ConfigureAwait(false);
    }

    private async Task ApplyOnePhaseAsync(TransactionHandle handle, BranchRecord branch, PrepareReply reply)
    {
        using (await handle.LockAsync(CancellationToken.None).ConfigureAwait(false))
        {
            var record = handle.Record;
            var committed = reply.OnePhaseCommitted == true;
            branch.Vote = reply.Vote;
            branch.Reason = reply.Reason;
            branch.State = committed ? BranchState.Committed : BranchState.Aborted;
            record.State = committed ? TransactionState.Committed : TransactionState.Aborted;
            record.Reason = committed ? null : $"branch {branch.BranchId} ({branch.Resource}) voted abort: {reply.Reason}";
            record.DecidedAt = engine.Now;
            handle.InDoubt = false;
            engine.Metrics.Add(committed ? "committed" : "aborted");
        }

        await engine.FinishAsync(handle).ConfigureAwait(false);
    }

    private async Task ResolveOnePhaseAsync(TransactionHandle handle, BranchRecord branch, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            await engine.DelayAsync(engine.Backoff(attempt, engine.Options.RetryInitialDelay, engine.Options.RetryMaxDelay), cancellationToken).ConfigureAwait(false);
            try
            {
                var reply = await engine.Participants.PrepareAsync(branch, handle.Id, onePhase: true, engine.Now + engine.Options.ParticipantCallTimeout, cancellationToken).ConfigureAwait(false);
                await ApplyOnePhaseAsync(handle, branch, reply).ConfigureAwait(false);
                return;
            }
            catch (ParticipantUnreachableException ex)
            {
                CoordinatorLog.OnePhaseRetry(engine.Logger, handle.Id, branch.BranchId, attempt, ex.Message);
            }
            catch (ParticipantRejectedException ex)
            {
                await ApplyOnePhaseAsync(handle, branch, new PrepareReply(Vote.Abort, ex.Message, false)).ConfigureAwait(false);
                return;
            }
        }
    }

    /// <summary>
    /// Rule 3: after an ambiguous decision write, write the same COMMITTING record again, forced, until a write
    /// succeeds, then deliver Commit. Flushing and re-reading would not do: after a failed fdatasync the page cache
    /// still returns the record while a later flush succeeds without writing it, so Commit would go out with no
    /// decision on disk. Nobody has heard anything but "in doubt" and every branch voted yes, so committing is
    /// allowed; a crash before a rewrite succeeds leaves either the record (commit) or none (presumed abort), and
    /// recovery follows the disk. A store that fail-stops (LiteDB) ends the process on the first failure instead.
    /// </summary>
    private async Task ResolveInDoubtAsync(TransactionHandle handle, TransactionRecord decision, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await engine.Log.SaveAsync(decision.Clone(), WriteDurability.Forced, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                engine.Metrics.Add("decision_rewrites_failed");
                CoordinatorLog.DecisionRewriteFailed(engine.Logger, handle.Id, attempt, ex);
            }

            await engine.DelayAsync(engine.Backoff(attempt, engine.Options.RetryInitialDelay, engine.Options.RetryMaxDelay), cancellationToken).ConfigureAwait(false);
        }

        using (await handle.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = handle.Record;
            handle.InDoubt = false;
            record.State = TransactionState.Committing;
            record.DecidedAt = decision.DecidedAt;
            engine.Metrics.Add("committed");
            CoordinatorLog.InDoubtResolved(engine.Logger, handle.Id, "commit");
        }

        await ResumeAsync(handle, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes the abort decision (under the gate) and starts delivering Abort.</summary>
    private void DecideAbortLocked(TransactionHandle handle, string reason)
    {
        var record = handle.Record;
        record.State = TransactionState.Aborting;
        record.Reason = reason;
        record.DecidedAt = engine.Now;
        engine.Metrics.Add("aborted");
        CoordinatorLog.Decided(engine.Logger, handle.Id, "abort", reason);
        // Presumed abort: this write need not be forced; without it, the answer is abort all the same.
        _ = engine.SaveLazy(record);
        handle.Decided.TrySetResult();
        engine.StartDriver(handle, ct => ResumeAsync(handle, ct));
    }
}
