using TwoPC.Coordinator.Diagnostics;
using System.Collections.Concurrent;
using TwoPC.Coordinator.Protocols.Saga;
using TwoPC.Coordinator.Storage;

namespace TwoPC.Coordinator.Transactions;

public sealed partial class TransactionManager
{
    // Sagas between claiming their idempotency key and entering the table: a duplicate waits for them.
    private readonly ConcurrentDictionary<string, Task> _sagaCreations = new(StringComparer.Ordinal);
    // Serialises amendment links written to finished (log-only) sagas.
    private readonly SemaphoreSlim _amendGate = new(1, 1);
    private SagaProcessor? _saga;

    private SagaProcessor Saga => saga ?? (_saga ??= new SagaProcessor(engine));

    /// <summary>
    /// Validates and records a saga, then runs it in the background. The record (SagaRunning, every step pending)
    /// is forced to the log before any step runs. With <paramref name="wait"/>, returns the final record; otherwise
    /// the record as recorded. A retried call with the same <paramref name="idempotencyKey"/> returns the same saga.
    /// With <paramref name="amendsTransactionId"/>, the new saga and the amended one are linked both ways.
    /// </summary>
    public async Task<TransactionRecord> RunSagaAsync(IReadOnlyList<SagaStepRecord> steps, string? idempotencyKey, bool wait, string? amendsTransactionId, CancellationToken cancellationToken)
    {
        Saga.Validate(steps);
        RequestValidation.Key(idempotencyKey, "idempotency_key");
        var key = string.IsNullOrEmpty(idempotencyKey) ? null : idempotencyKey;
        var amends = string.IsNullOrEmpty(amendsTransactionId) ? null : amendsTransactionId;
        if (amends is not null && !IsId(amends))
            throw new InvalidRequestException("amends_transaction_id", $"'{Truncate(amends)}' is not a transaction id (32 hex digits)");

        var record = new TransactionRecord
        {
            Id = engine.NewTransactionId(),
            Mode = TransactionMode.Saga,
            State = TransactionState.SagaRunning,
            CreatedAt = engine.Now,
            IdempotencyKey = key,
            AmendsTransactionId = amends,
            Steps = [.. steps.Select(Fresh)],
        };

        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _sagaCreations[record.Id] = created.Task;
        try
        {
            // The key is claimed before any participant is asked: a retry finds its saga even when a participant
            // has become unreachable since.
            // After a restart the in-memory key map is empty: a key the log already knows belongs to its old saga.
            if (key is not null && await engine.Log.FindByIdempotencyKeyAsync(key, cancellationToken).ConfigureAwait(false) is { } previous)
                engine.Table.ClaimKey(key, previous.Id);
            for (var round = 1; key is not null; round++)
            {
                var owner = engine.Table.ClaimKey(key, record.Id);
                if (owner == record.Id) break;
                if (await ExistingSagaAsync(owner, wait, cancellationToken).ConfigureAwait(false) is { } existing) return existing;
                // The owner's creation failed and gave the key up: claim it again.
                if (round == 3) throw new RetryLaterException("a saga with this idempotency_key is being created concurrently; retry");
            }

            try
            {
                if (amends is not null) await RequireSagaAsync(amends, cancellationToken).ConfigureAwait(false);
                await Saga.CheckParticipantsAsync(steps, cancellationToken).ConfigureAwait(false);
            }
            catch when (key is not null)
            {
                engine.Table.ReleaseKey(key, record.Id);
                throw;
            }

            await RecordNewSagaAsync(record).ConfigureAwait(false);
            var handle = new TransactionHandle(record);
            engine.Table.TryAdd(handle);
            engine.Metrics.Add("sagas_started");
            engine.StartDriver(handle, ct => Saga.ResumeAsync(handle, ct));
            created.TrySetResult();
            // The new saga is durable and running; the back link on the original follows (a crash in between
            // leaves only the forward link AmendsTransactionId).
            if (amends is not null) await LinkAmendmentAsync(amends, record.Id, cancellationToken).ConfigureAwait(false);
            return await AnswerSagaAsync(handle, wait, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            created.TrySetResult();
            throw;
        }
        finally
        {
            _sagaCreations.TryRemove(record.Id, out _);
        }
    }

    /// <summary>
    /// Forces the new saga to the log before anything runs. A failed save may have left some, none or all of it on
    /// disk, and a flush after a failed one proves nothing (the kernel may have dropped the dirty pages), so the same
    /// record is written again, forced, with backoff, until a save succeeds. The rewrite does not stop when the caller
    /// goes away: a record that reached the disk must also be driven, or a retried RunSaga would find a saga nobody
    /// runs. A store that fails for good stops the process (fail-stop), which ends the loop.
    /// </summary>
    private async Task RecordNewSagaAsync(TransactionRecord record)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await engine.Log.SaveAsync(record.Clone(), WriteDurability.Forced, CancellationToken.None).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                CoordinatorLog.SagaStep(engine.Logger, record.Id, "-", "saga record write failed; writing it again", ex.Message);
                engine.Metrics.Add("saga_log_retries");
            }

            await engine.DelayAsync(engine.Backoff(attempt, engine.Options.RetryInitialDelay, engine.Options.RetryMaxDelay), engine.Stopping).ConfigureAwait(false);
        }
    }

    /// <summary>The saga that owns an idempotency key (once its creation finished); null when its creation failed.</summary>
    private async Task<TransactionRecord?> ExistingSagaAsync(string id, bool wait, CancellationToken cancellationToken)
    {
        if (_sagaCreations.TryGetValue(id, out var creating)) await creating.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (engine.Table.TryGet(id, out var handle)) return await AnswerSagaAsync(handle, wait, cancellationToken).ConfigureAwait(false);
        var stored = await engine.Log.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (stored is null) return null;
        if (stored.Mode != TransactionMode.Saga) throw new TransactionStateConflictException($"idempotency_key already belongs to transaction {id}, which is not a saga");
        return stored;
    }

    private static async Task<TransactionRecord> AnswerSagaAsync(TransactionHandle handle, bool wait, CancellationToken cancellationToken)
    {
        if (handle.Record.Mode != TransactionMode.Saga) throw new TransactionStateConflictException($"idempotency_key already belongs to transaction {handle.Id}, which is not a saga");
        if (wait) await handle.Finished.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        using (await handle.LockAsync(cancellationToken).ConfigureAwait(false)) return handle.Record.Clone();
    }

    /// <summary>NotFound unless the id is a known transaction; FailedPrecondition unless it is a saga.</summary>
    private async Task RequireSagaAsync(string id, CancellationToken cancellationToken)
    {
        var mode = engine.Table.TryGet(id, out var handle) ? handle.Record.Mode : (await StoredAsync(id, cancellationToken).ConfigureAwait(false)).Mode;
        if (mode != TransactionMode.Saga) throw new TransactionStateConflictException($"transaction {id} is not a saga; only sagas can be amended");
    }

    /// <summary>Adds <paramref name="amendedBy"/> to the original's <see cref="TransactionRecord.AmendedBy"/>, durably.</summary>
    private async Task LinkAmendmentAsync(string originalId, string amendedBy, CancellationToken cancellationToken)
    {
        if (engine.Table.TryGet(originalId, out var handle))
        {
            Task saved;
            using (await handle.LockAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!handle.Record.AmendedBy.Contains(amendedBy)) handle.Record.AmendedBy.Add(amendedBy);
                saved = engine.Log.SaveAsync(handle.Record.Clone(), WriteDurability.Forced, CancellationToken.None);
            }

            await saved.ConfigureAwait(false);
            return;
        }

        // Finished and out of memory: its record only changes here, one link at a time.
        await _amendGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stored = await StoredAsync(originalId, cancellationToken).ConfigureAwait(false);
            if (stored.AmendedBy.Contains(amendedBy)) return;
            stored.AmendedBy.Add(amendedBy);
            await engine.Log.SaveAsync(stored, WriteDurability.Forced, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _amendGate.Release();
        }
    }

    /// <summary>A step as defined, with no progress.</summary>
    private static SagaStepRecord Fresh(SagaStepRecord s)
    {
        var copy = s.Clone();
        copy.State = BranchState.StepPending;
        copy.Attempts = 0;
        copy.CompensationAttempts = 0;
        copy.LastError = null;
        copy.OutcomeUnknown = false;
        copy.Result = [];
        return copy;
    }
}
