using TwoPC.Coordinator.Diagnostics;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Protocols.Saga;

public sealed partial class SagaProcessor
{
    /// <summary>Durably switches the saga to compensating: the reason is recorded, steps that never ran are skipped.</summary>
    private Task BeginCompensationAsync(TransactionHandle handle, string reason, CancellationToken cancellationToken)
    {
        CoordinatorLog.Decided(engine.Logger, handle.Id, "compensate", reason);
        return SaveForcedAsync(handle, r =>
        {
            if (r.State != TransactionState.SagaRunning) return;
            r.State = TransactionState.SagaCompensating;
            r.Reason = reason;
            r.RollbackReason = reason;
            r.DecidedAt = engine.Now;
            foreach (var s in r.Steps.Where(s => s.State == BranchState.StepPending)) s.State = BranchState.StepSkipped;
        }, cancellationToken);
    }

    /// <summary>
    /// Compensates group by group in descending order, a group's steps in parallel. Returns null when every step
    /// that may have acted is compensated; otherwise what failed. Groups before a failed one are left untouched:
    /// compensations run strictly in reverse order, so an operator picks up where it stopped.
    /// </summary>
    private Task<string?> CompensateAllAsync(TransactionHandle handle, CancellationToken cancellationToken) =>
        CompensateWhereAsync(handle, NeedsCompensation, cancellationToken);

    /// <summary>
    /// The saga reached its target, but an optional step ran out of attempts without an answer: its action may have
    /// run. It is compensated like any step of a rollback (retried up to the limit; null if the action never ran;
    /// the barrier blocks a late action), and the required steps stay done. Null when nothing is left to undo;
    /// otherwise what failed. A step without a compensation is reported instead (<see cref="ReportUnknownOutcomes"/>).
    /// </summary>
    private Task<string?> UndoUnknownOptionalStepsAsync(TransactionHandle handle, CancellationToken cancellationToken) =>
        CompensateWhereAsync(handle, s => s.Optional && s.State != BranchState.StepSucceeded && NeedsCompensation(s), cancellationToken);

    private async Task<string?> CompensateWhereAsync(TransactionHandle handle, Func<SagaStepRecord, bool> needsCompensation, CancellationToken cancellationToken)
    {
        List<int> groups;
        using (await handle.LockAsync(cancellationToken).ConfigureAwait(false)) groups = Groups(handle.Record);
        foreach (var group in Enumerable.Reverse(groups))
        {
            List<SagaStepRecord> targets;
            using (await handle.LockAsync(cancellationToken).ConfigureAwait(false))
                targets = handle.Record.Steps.Where(s => s.Group == group && needsCompensation(s)).ToList();
            var failures = await Task.WhenAll(targets.Select(s => CompensateStepAsync(handle, s, cancellationToken))).ConfigureAwait(false);
            if (failures.FirstOrDefault(f => f is not null) is { } failure) return failure;
        }

        return null;
    }

    /// <summary>
    /// A step needs compensating when its action ran or may have run: succeeded, running (unknown outcome),
    /// failed without a definitive answer, or already compensating. Without a compensation payload (optional steps
    /// only) it cannot be undone and stays as it is.
    /// </summary>
    private static bool NeedsCompensation(SagaStepRecord s) => s.CompensationPayload is not null && s.State switch
    {
        BranchState.StepSucceeded or BranchState.StepRunning or BranchState.StepCompensating or BranchState.StepCompensationFailed => true,
        BranchState.StepFailed => s.OutcomeUnknown,
        _ => false,
    };

    /// <summary>Compensates one step with capped backoff; null on success, else the error once the limit is reached.</summary>
    private async Task<string?> CompensateStepAsync(TransactionHandle handle, SagaStepRecord step, CancellationToken cancellationToken)
    {
        var call = step.Clone();
        var limit = engine.Options.CompensationAttemptLimit;
        var attempt = step.State == BranchState.StepCompensating && step.CompensationAttempts > 0 ? step.CompensationAttempts - 1 : step.CompensationAttempts;
        if (step.State == BranchState.StepCompensationFailed) attempt = 0; // a parked step being retried gets a fresh budget
        string lastError = "no answer";
        while (true)
        {
            attempt++;
            if (attempt > limit)
            {
                var error = $"compensation of step '{step.Name}' failed {limit} times: {lastError}";
                await SaveForcedAsync(handle, _ =>
                {
                    step.State = BranchState.StepCompensationFailed;
                    step.LastError = error;
                }, cancellationToken).ConfigureAwait(false);
                CoordinatorLog.SagaStep(engine.Logger, handle.Id, step.Name, "compensation failed", error);
                return error;
            }

            var sent = attempt;
            await SaveForcedAsync(handle, _ =>
            {
                step.State = BranchState.StepCompensating;
                step.CompensationAttempts = sent;
            }, cancellationToken).ConfigureAwait(false);

            await engine.Faults.HitAsync(FaultPoints.SagaCompensationRecorded, handle.Id, cancellationToken).ConfigureAwait(false);
            using var timeout = new CancellationTokenSource(call.Timeout, engine.Time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            try
            {
                var nullCompensation = await engine.Participants.CompensateAsync(call, handle.Id, attempt, linked.Token).ConfigureAwait(false);
                await engine.Faults.HitAsync(FaultPoints.SagaCompensationDoneUnrecorded, handle.Id, cancellationToken).ConfigureAwait(false);
                await SaveForcedAsync(handle, _ => step.State = BranchState.StepCompensated, cancellationToken).ConfigureAwait(false);
                if (nullCompensation) engine.Metrics.Add("saga_null_compensations");
                CoordinatorLog.SagaStep(engine.Logger, handle.Id, step.Name, nullCompensation ? "null compensation" : "compensated", null);
                return null;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                lastError = $"no answer within {call.Timeout}";
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Unreachable or rejected alike: a compensation must eventually succeed, so keep trying up to the limit.
                lastError = ex.Message;
            }

            using (await handle.LockAsync(cancellationToken).ConfigureAwait(false)) step.LastError = "compensation: " + lastError;
            engine.Metrics.Add("saga_compensation_retries");
            CoordinatorLog.SagaStep(engine.Logger, handle.Id, step.Name, $"compensation attempt {attempt} failed", lastError);
            if (attempt < limit)
                await engine.DelayAsync(engine.Backoff(attempt, engine.Options.RetryInitialDelay, engine.Options.RetryMaxDelay), cancellationToken).ConfigureAwait(false);
        }
    }
}
