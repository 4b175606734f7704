using TwoPC.Coordinator.Diagnostics;
using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Protocols.Saga;

/// <summary>
/// Saga mode. Steps run group by group in ascending order, the steps of a group in parallel. Every step transition
/// is forced to the log <b>before</b> it is acted on (write-ahead): StepRunning before Execute, the answer before
/// the next move, SagaCompensating + StepCompensating before Compensate, StepCompensated after. So
/// <see cref="ResumeAsync"/> on a recovered record continues exactly where the saga stopped: forward while no
/// required step failed (re-sending Execute for StepRunning steps; the participant's barrier answers a duplicate
/// with the first result), backward otherwise (compensations in reverse group order, a group's in parallel).
/// End states are forced too, because callers are told the outcome. A compensation that keeps failing parks the saga
/// (NEEDS_ATTENTION, also forced); the same driver retries it later with a fresh budget (SagaProcessor.Parking.cs).
/// </summary>
public sealed partial class SagaProcessor(EngineServices engine) : ITransactionProcessor
{
    /// <inheritdoc />
    public TransactionMode Mode => TransactionMode.Saga;

    /// <inheritdoc />
    /// <remarks>
    /// A saga that parks (NEEDS_ATTENTION) does not end this call: its caller is told (<see cref="TransactionHandle.Finished"/>),
    /// and the same driver then waits for the next retry (<see cref="CoordinatorOptions.ParkedSagaRetryInterval"/>)
    /// or an operator's resume, and carries on. It returns once the saga completed or compensated, or when cancelled.
    /// </remarks>
    public async Task ResumeAsync(TransactionHandle handle, CancellationToken cancellationToken)
    {
        var parkedBefore = false;
        while (true)
        {
            TransactionState state;
            using (await handle.LockAsync(cancellationToken).ConfigureAwait(false)) state = handle.Record.State;
            if (state.IsFinished())
            {
                await engine.FinishAsync(handle).ConfigureAwait(false);
                return;
            }

            if (state == TransactionState.SagaNeedsAttention) parkedBefore = true;
            if (!parkedBefore)
            {
                if (await StepAsync(handle, state, cancellationToken).ConfigureAwait(false)) return;
                continue;
            }

            // Once parked, this driver is the saga's background retry loop: an error is logged and retried later.
            try
            {
                if (await StepAsync(handle, state, cancellationToken).ConfigureAwait(false)) return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                CoordinatorLog.ParkedSagaRetryFailed(engine.Logger, handle.Id, engine.Options.ParkedSagaRetryInterval, ex);
                await engine.DelayAsync(engine.Options.ParkedSagaRetryInterval, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Moves the saga on from <paramref name="state"/> by one phase; true once it has ended.</summary>
    private async Task<bool> StepAsync(TransactionHandle handle, TransactionState state, CancellationToken cancellationToken)
    {
        switch (state)
        {
            case TransactionState.SagaRunning:
                if (await RunForwardAsync(handle, cancellationToken).ConfigureAwait(false) is { } failure)
                {
                    await BeginCompensationAsync(handle, failure, cancellationToken).ConfigureAwait(false);
                    return false;
                }

                // The target is reached; an optional step that may have run unanswered is undone before the end.
                if (await UndoUnknownOptionalStepsAsync(handle, cancellationToken).ConfigureAwait(false) is { } stuckUndoing)
                {
                    await ParkAsync(handle, stuckUndoing, cancellationToken).ConfigureAwait(false);
                    return false;
                }

                await EndAsync(handle, TransactionState.SagaCompleted, cancellationToken).ConfigureAwait(false);
                return true;
            case TransactionState.SagaCompensating:
                if (await CompensateAllAsync(handle, cancellationToken).ConfigureAwait(false) is { } stuck)
                {
                    await ParkAsync(handle, stuck, cancellationToken).ConfigureAwait(false);
                    return false;
                }

                await EndAsync(handle, TransactionState.SagaCompensated, cancellationToken).ConfigureAwait(false);
                return true;
            case TransactionState.SagaNeedsAttention:
                await WaitWhileParkedAsync(handle, cancellationToken).ConfigureAwait(false);
                return false;
            default:
                throw new InvalidOperationException($"saga {handle.Id} is in state {state}, which is not a saga state");
        }
    }

    /// <summary>
    /// Records the end state durably (the caller may be told it), with what is known of optional steps whose outcome
    /// was unknown (see <see cref="ReportUnknownOutcomes"/>), then signals waiters and drops the saga from memory.
    /// </summary>
    private async Task EndAsync(TransactionHandle handle, TransactionState end, CancellationToken cancellationToken)
    {
        string? reason = null;
        await SaveForcedAsync(handle, r =>
        {
            r.State = end;
            r.Reason = reason = ReportUnknownOutcomes(r, end == TransactionState.SagaCompleted ? null : r.Reason);
            r.DecidedAt ??= engine.Now;
            r.CompletedAt = engine.Now;
        }, cancellationToken).ConfigureAwait(false);
        engine.Metrics.Add(end == TransactionState.SagaCompleted ? "saga_completed" : "saga_compensated");
        CoordinatorLog.Decided(engine.Logger, handle.Id, end.ToString(), reason);
        // The forced write above is the finished record (end state and CompletedAt): no second, lazy copy.
        await engine.FinishAsync(handle, alreadySaved: true).ConfigureAwait(false);
    }

    /// <summary>
    /// At the end of a saga: an optional step that ran out of attempts without an answer and has no compensation
    /// becomes <see cref="BranchState.StepOutcomeUnknown"/> (its action may have run and nothing can undo it).
    /// Returns <paramref name="reason"/> followed by one sentence per such step and, for a completed saga, per
    /// optional step compensated because its outcome was unknown; null when there is nothing to say.
    /// </summary>
    private string? ReportUnknownOutcomes(TransactionRecord r, string? reason)
    {
        var notes = new List<string>();
        foreach (var s in r.Steps.Where(s => s.Optional && s.OutcomeUnknown))
        {
            if (s.State == BranchState.StepFailed && s.CompensationPayload is null) s.State = BranchState.StepOutcomeUnknown;
            var note = s.State switch
            {
                BranchState.StepOutcomeUnknown => $"optional step '{s.Name}' has an unknown outcome after {s.Attempts} unanswered attempts and no compensation: its action may have run",
                BranchState.StepCompensated when r.State == TransactionState.SagaCompleted => $"optional step '{s.Name}' was compensated because its outcome was unknown after {s.Attempts} unanswered attempts",
                _ => null,
            };
            if (note is null) continue;
            notes.Add(note);
            CoordinatorLog.OptionalStepUnknown(engine.Logger, r.Id, s.Name, s.State == BranchState.StepOutcomeUnknown ? "has an unknown outcome and no compensation" : "was compensated because its outcome was unknown");
        }

        if (notes.Count == 0) return reason;
        if (reason is not null) notes.Insert(0, reason);
        return string.Join("; ", notes);
    }

    /// <summary>
    /// Applies <paramref name="change"/> under the gate and returns once the record is on disk. The save is issued
    /// under the gate (saves of one id stay in order) and awaited outside it, so the saves of parallel steps fold
    /// into one group commit. A failed save may have left some, none or all of it on disk, and a flush succeeding
    /// afterwards would prove nothing (see <see cref="ITransactionLog"/>): the whole current record is written again,
    /// forced, until a save succeeds; nothing is acted on before that.
    /// </summary>
    private async Task SaveForcedAsync(TransactionHandle handle, Action<TransactionRecord> change, CancellationToken cancellationToken)
    {
        Task saved;
        using (await handle.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            change(handle.Record);
            saved = engine.Log.SaveAsync(handle.Record.Clone(), WriteDurability.Forced, CancellationToken.None);
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await saved.ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                CoordinatorLog.SagaStep(engine.Logger, handle.Id, "-", "log write failed", ex.Message);
                engine.Metrics.Add("saga_log_retries");
            }

            await engine.DelayAsync(engine.Backoff(attempt, engine.Options.RetryInitialDelay, engine.Options.RetryMaxDelay), cancellationToken).ConfigureAwait(false);
            using (await handle.LockAsync(cancellationToken).ConfigureAwait(false))
            {
                saved = engine.Log.SaveAsync(handle.Record.Clone(), WriteDurability.Forced, CancellationToken.None);
            }
        }
    }

    /// <summary>Distinct groups of the saga in ascending order.</summary>
    private static List<int> Groups(TransactionRecord record) => record.Steps.Select(s => s.Group).Distinct().Order().ToList();
}
