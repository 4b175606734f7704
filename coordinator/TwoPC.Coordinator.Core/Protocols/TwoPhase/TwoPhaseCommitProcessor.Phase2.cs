using TwoPC.Coordinator.Diagnostics;
using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Protocols.TwoPhase;

public sealed partial class TwoPhaseCommitProcessor
{
    /// <summary>Delivers Commit or Abort to one branch until it acknowledges (or the coordinator stops).</summary>
    private async Task DeliverAsync(TransactionHandle handle, BranchRecord branch, bool commit, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (commit) await engine.Participants.CommitAsync(branch, handle.Id, cancellationToken).ConfigureAwait(false);
                else await engine.Participants.AbortAsync(branch, handle.Id, cancellationToken).ConfigureAwait(false);
                using (await handle.LockAsync(cancellationToken).ConfigureAwait(false))
                {
                    branch.State = commit ? BranchState.Committed : BranchState.Aborted;
                    branch.Attempts = attempt;
                }

                if (commit) await engine.Faults.HitAsync(FaultPoints.AfterFirstCommitAck, handle.Id, cancellationToken).ConfigureAwait(false);

                return;
            }
            catch (Exception ex) when (ex is ParticipantUnreachableException or ParticipantRejectedException)
            {
                // A rejection in phase 2 is a protocol violation at the participant; keep the decision, keep trying,
                // and show the error on the branch so an operator can see it.
                using (await handle.LockAsync(cancellationToken).ConfigureAwait(false))
                {
                    branch.Reason = ex.Message;
                    branch.Attempts = attempt;
                }

                engine.Metrics.Add("phase2_retries");
                CoordinatorLog.Phase2Retry(engine.Logger, handle.Id, branch.BranchId, attempt, ex.Message);
            }

            await engine.DelayAsync(engine.Backoff(attempt, engine.Options.RetryInitialDelay, engine.Options.RetryMaxDelay), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The answer for a decided transaction, optionally after phase 2 finished.</summary>
    private async Task<CommitResult> AnswerAsync(TransactionHandle handle, bool waitForCompletion, CancellationToken cancellationToken)
    {
        if (waitForCompletion) await handle.Finished.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        using (await handle.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = handle.Record;
            if (handle.InDoubt) throw new TransactionInDoubtException(handle.Id, "the decision is being resolved from the log; ask GetTransaction later");
            if (record.State.IsCommitDecided()) return new CommitResult(true, null, record.State);
            if (record.State.IsAbortDecided()) return new CommitResult(false, record.Reason, record.State);
            throw new TransactionInDoubtException(handle.Id, $"no decision yet (state {record.State})");
        }
    }
}
