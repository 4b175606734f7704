namespace TwoPC.Coordinator.Transactions;

public sealed partial class TransactionManager
{
    /// <summary>
    /// Resumes a saga parked as NEEDS_ATTENTION now, instead of at its next scheduled retry: wakes the saga's own
    /// driver (so the two never run at once) and returns the record as the resume durably recorded it (compensating,
    /// or running when it parked undoing an optional step). InvalidArgument for a malformed id or note, NotFound for
    /// an unknown id, FailedPrecondition for a two-phase transaction or a saga that is not parked.
    /// </summary>
    public async Task<TransactionRecord> ResumeSagaAsync(string transactionId, string? reason, CancellationToken cancellationToken)
    {
        Require(transactionId);
        if (reason is { Length: > ProtocolLimits.MaxResumeNoteLength }) throw new InvalidRequestException("reason", $"must be at most {ProtocolLimits.MaxResumeNoteLength} characters");
        var note = string.IsNullOrWhiteSpace(reason) ? null : reason;

        if (!engine.Table.TryGet(transactionId, out var handle))
        {
            // A parked saga has a live driver, unless its stored record carries the finished flag, which keeps
            // recovery from loading it: drive it now.
            var stored = await StoredAsync(transactionId, cancellationToken).ConfigureAwait(false);
            RequireParkedSaga(stored);
            var loaded = new TransactionHandle(stored);
            if (engine.Table.TryAdd(loaded)) engine.StartDriver(loaded, ct => Saga.ResumeAsync(loaded, ct));
            if (!engine.Table.TryGet(transactionId, out handle)) throw new TransactionStateConflictException($"transaction {transactionId} changed while it was being resumed; ask again");
        }

        ParkedSagaWakeup wakeup;
        using (await handle.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            RequireParkedSaga(handle.Record);
            wakeup = handle.Parked ??= new ParkedSagaWakeup();
            wakeup.Request(note);
        }

        return await wakeup.Resumed.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void RequireParkedSaga(TransactionRecord record)
    {
        if (record.Mode != TransactionMode.Saga)
            throw new TransactionStateConflictException($"transaction {record.Id} is not a saga; only a saga parked as NEEDS_ATTENTION can be resumed");
        if (record.State != TransactionState.SagaNeedsAttention)
            throw new TransactionStateConflictException($"saga {record.Id} is {record.State}, not parked; only a saga parked as NEEDS_ATTENTION can be resumed");
    }
}
