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
/// End states are forced too, because callers are told the outcome.
/// </summary>
public sealed partial class SagaProcessor(EngineServices engine) : ITransactionProcessor
{
    /// <inheritdoc />
    public TransactionMode Mode => TransactionMode.Saga;

    /// <inheritdoc />
    public async Task ResumeAsync(TransactionHandle handle, CancellationToken cancellationToken)
    {
        TransactionState state;
        using (await handle.LockAsync(cancellationToken).ConfigureAwait(false)) state = handle.Record.State;

        if (state == TransactionState.SagaRunning)
        {
            var failure = await RunForwardAsync(handle, cancellationToken).ConfigureAwait(false);
            if (failure is null)
            {
                await EndAsync(handle, TransactionState.SagaCompleted, null, cancellationToken).ConfigureAwait(false);
                return;
            }

            await BeginCompensationAsync(handle, failure, cancellationToken).ConfigureAwait(false);
            state = TransactionState.SagaCompensating;
        }

        if (state == TransactionState.SagaCompensating)
        {
            var stuck = await CompensateAllAsync(handle, cancellationToken).ConfigureAwait(false);
            string? reason;
            using (await handle.LockAsync(cancellationToken).ConfigureAwait(false)) reason = handle.Record.Reason;
            if (stuck is null) await EndAsync(handle, TransactionState.SagaCompensated, reason, cancellationToken).ConfigureAwait(false);
            else await EndAsync(handle, TransactionState.SagaNeedsAttention, $"{reason}; {stuck}", cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!state.IsFinished()) throw new InvalidOperationException($"saga {handle.Id} is in state {state}, which is not a saga state");
        await engine.FinishAsync(handle).ConfigureAwait(false);
    }

    /// <summary>Records the end state durably (the caller may be told it), then signals waiters.</summary>
    private async Task EndAsync(TransactionHandle handle, TransactionState end, string? reason, CancellationToken cancellationToken)
    {
        await SaveForcedAsync(handle, r =>
        {
            r.State = end;
            r.Reason = reason;
            r.DecidedAt ??= engine.Now;
            r.CompletedAt = engine.Now;
        }, cancellationToken).ConfigureAwait(false);
        engine.Metrics.Add(end switch
        {
            TransactionState.SagaCompleted => "saga_completed",
            TransactionState.SagaCompensated => "saga_compensated",
            _ => "saga_needs_attention",
        });
        CoordinatorLog.Decided(engine.Logger, handle.Id, end.ToString(), reason);
        // The forced write above is the finished record (end state and CompletedAt): no second, lazy copy.
        await engine.FinishAsync(handle, alreadySaved: true).ConfigureAwait(false);
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
