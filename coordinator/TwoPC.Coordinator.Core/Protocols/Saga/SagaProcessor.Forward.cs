using TwoPC.Coordinator.Diagnostics;
using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Protocols.Saga;

public sealed partial class SagaProcessor
{
    /// <summary>
    /// Runs the groups not yet done, in ascending order. Returns null when every required step succeeded, else why
    /// the saga must roll back (the first failed required step). A group's steps all end before the verdict.
    /// </summary>
    private async Task<string?> RunForwardAsync(TransactionHandle handle, CancellationToken cancellationToken)
    {
        List<int> groups;
        using (await handle.LockAsync(cancellationToken).ConfigureAwait(false)) groups = Groups(handle.Record);
        foreach (var group in groups)
        {
            List<SagaStepRecord> toRun;
            using (await handle.LockAsync(cancellationToken).ConfigureAwait(false))
            {
                if (FirstRequiredFailure(handle.Record) is { } failure) return failure;
                toRun = handle.Record.Steps.Where(s => s.Group == group && s.State is BranchState.StepPending or BranchState.StepRunning).ToList();
            }

            await Task.WhenAll(toRun.Select(s => RunStepAsync(handle, s, cancellationToken))).ConfigureAwait(false);
        }

        using (await handle.LockAsync(cancellationToken).ConfigureAwait(false)) return FirstRequiredFailure(handle.Record);
    }

    private static string? FirstRequiredFailure(TransactionRecord record) =>
        record.Steps.Where(s => !s.Optional && s.State == BranchState.StepFailed).OrderBy(s => s.Group).FirstOrDefault() is { } failed
            ? $"step '{failed.Name}' failed: {failed.LastError}"
            : null;

    /// <summary>
    /// Executes one step until a definitive answer or its attempts run out. A step recovered as StepRunning has its
    /// in-flight attempt re-sent with the same number (the barrier answers it with the first result).
    /// </summary>
    private async Task RunStepAsync(TransactionHandle handle, SagaStepRecord step, CancellationToken cancellationToken)
    {
        var call = step.Clone(); // the definition never changes; the participant client gets a private copy
        var attempt = step.State == BranchState.StepRunning && step.Attempts > 0 ? step.Attempts - 1 : step.Attempts;
        var lastError = step.LastError ?? "no answer";
        while (true)
        {
            attempt++;
            if (attempt > call.MaxAttempts)
            {
                var error = $"retries exhausted after {call.MaxAttempts} attempts: {lastError}";
                await SaveForcedAsync(handle, _ => Fail(step, error, outcomeUnknown: true), cancellationToken).ConfigureAwait(false);
                CoordinatorLog.SagaStep(engine.Logger, handle.Id, step.Name, "failed", error);
                return;
            }

            var sent = attempt;
            await SaveForcedAsync(handle, _ =>
            {
                step.State = BranchState.StepRunning;
                step.Attempts = sent;
            }, cancellationToken).ConfigureAwait(false);

            await engine.Faults.HitAsync(FaultPoints.SagaStepRecorded, handle.Id, cancellationToken).ConfigureAwait(false);
            using var timeout = new CancellationTokenSource(call.Timeout, engine.Time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            try
            {
                var reply = await engine.Participants.ExecuteAsync(call, handle.Id, attempt, linked.Token).ConfigureAwait(false);
                await engine.Faults.HitAsync(FaultPoints.SagaStepDoneUnrecorded, handle.Id, cancellationToken).ConfigureAwait(false);
                await SaveForcedAsync(handle, _ => Apply(step, reply), cancellationToken).ConfigureAwait(false);
                CoordinatorLog.SagaStep(engine.Logger, handle.Id, step.Name, reply.Outcome.ToString(), reply.Reason);
                return;
            }
            catch (ParticipantUnreachableException ex)
            {
                lastError = ex.Message;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                lastError = $"no answer within {call.Timeout}";
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // ParticipantRejectedException or any other error: a definitive rejection; the action did not run.
                var error = "rejected by the participant: " + ex.Message;
                await SaveForcedAsync(handle, _ => Fail(step, error, outcomeUnknown: false), cancellationToken).ConfigureAwait(false);
                CoordinatorLog.SagaStep(engine.Logger, handle.Id, step.Name, "rejected", ex.Message);
                return;
            }

            // Outcome unknown: retry (the barrier makes a duplicate harmless).
            using (await handle.LockAsync(cancellationToken).ConfigureAwait(false)) step.LastError = lastError;
            engine.Metrics.Add("saga_step_retries");
            CoordinatorLog.SagaStep(engine.Logger, handle.Id, step.Name, $"attempt {attempt} unanswered", lastError);
            if (attempt < call.MaxAttempts)
                await engine.DelayAsync(engine.Backoff(attempt, call.InitialBackoff, call.MaxBackoff), cancellationToken).ConfigureAwait(false);
        }
    }

    private static void Apply(SagaStepRecord step, ExecuteReply reply)
    {
        switch (reply.Outcome)
        {
            case StepOutcome.Succeeded:
                step.State = BranchState.StepSucceeded;
                step.Result = reply.Output;
                step.LastError = null;
                step.OutcomeUnknown = false;
                break;
            case StepOutcome.RejectedAfterCompensation:
                Fail(step, "the participant refused the action because its compensation already ran" + (reply.Reason is null ? "" : ": " + reply.Reason), outcomeUnknown: false);
                break;
            default:
                Fail(step, reply.Reason ?? "the action failed", outcomeUnknown: false);
                break;
        }
    }

    private static void Fail(SagaStepRecord step, string error, bool outcomeUnknown)
    {
        step.State = BranchState.StepFailed;
        step.LastError = error;
        step.OutcomeUnknown = outcomeUnknown;
    }
}
