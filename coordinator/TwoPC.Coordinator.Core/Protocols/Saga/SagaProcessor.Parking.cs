using TwoPC.Coordinator.Diagnostics;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Protocols.Saga;

public sealed partial class SagaProcessor
{
    /// <summary>
    /// A compensation failed past its limit: records NEEDS_ATTENTION durably (the reason says why the saga rolled
    /// back and which compensation failed) and tells the caller. The saga stays live; <see cref="WaitWhileParkedAsync"/>
    /// follows.
    /// </summary>
    private async Task ParkAsync(TransactionHandle handle, string stuck, CancellationToken cancellationToken)
    {
        string reason = stuck;
        await SaveForcedAsync(handle, r =>
        {
            if (r.State == TransactionState.SagaCompensating) r.RollbackReason ??= r.Reason;
            reason = r.State == TransactionState.SagaCompensating
                ? (r.RollbackReason is { } rollback ? $"{rollback}; {stuck}" : stuck)
                : $"every required step succeeded, but undoing an optional step whose outcome was unknown failed: {stuck}";
            r.State = TransactionState.SagaNeedsAttention;
            r.Reason = reason;
            r.DecidedAt ??= engine.Now;
            r.CompletedAt = engine.Now;
            handle.Parked ??= new ParkedSagaWakeup();
        }, cancellationToken).ConfigureAwait(false);
        engine.Metrics.Add("saga_needs_attention");
        CoordinatorLog.SagaParked(engine.Logger, handle.Id, engine.Options.ParkedSagaRetryInterval, reason);
    }

    /// <summary>
    /// The saga is parked: tells waiting callers, waits for the next scheduled retry or an operator's resume, then
    /// durably takes the saga out of NEEDS_ATTENTION, so that the next phase retries every failed compensation with
    /// a fresh budget. Only this driver ever does that, so a scheduled retry and a resume never run at once.
    /// </summary>
    private async Task WaitWhileParkedAsync(TransactionHandle handle, CancellationToken cancellationToken)
    {
        ParkedSagaWakeup wakeup;
        using (await handle.LockAsync(cancellationToken).ConfigureAwait(false)) wakeup = handle.Parked ??= new ParkedSagaWakeup();
        handle.Decided.TrySetResult();
        handle.Finished.TrySetResult();

        try
        {
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                var due = engine.DelayAsync(engine.Options.ParkedSagaRetryInterval, wait.Token);
                await Task.WhenAny(due, wakeup.Requested).ConfigureAwait(false);
                wait.Cancel(); // synchronous: CancelAsync would run the callbacks, and this method's continuation, on the thread pool
            }

            cancellationToken.ThrowIfCancellationRequested();
            TransactionRecord? resumed = null;
            await SaveForcedAsync(handle, r =>
            {
                Unpark(r);
                handle.Parked = null;
                resumed = r.Clone();
            }, cancellationToken).ConfigureAwait(false);
            CoordinatorLog.ParkedSagaResumed(engine.Logger, handle.Id, wakeup.Requested.IsCompleted ? "an operator" : "schedule", wakeup.Note);
            engine.Metrics.Add("saga_parked_retries");
            wakeup.SetResumed(resumed!);
        }
        catch (Exception ex)
        {
            wakeup.SetFailed(ex);
            throw;
        }
    }

    /// <summary>
    /// Back from NEEDS_ATTENTION to the phase that parked: compensating (a required step failed: every required step
    /// that is not still plainly succeeded shows the rollback) with its rollback reason, or running (the saga
    /// reached its target and was undoing an unknown optional step), with CompletedAt cleared.
    /// </summary>
    private static void Unpark(TransactionRecord r)
    {
        var rollingBack = r.Steps.Any(s => !s.Optional && s.State != BranchState.StepSucceeded);
        r.State = rollingBack ? TransactionState.SagaCompensating : TransactionState.SagaRunning;
        r.Reason = rollingBack ? r.RollbackReason ?? r.Reason : null;
        r.CompletedAt = null;
    }
}
