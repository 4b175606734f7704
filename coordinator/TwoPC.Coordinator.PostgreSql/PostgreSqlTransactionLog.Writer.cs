using Npgsql;
using NpgsqlTypes;
using TwoPC.Coordinator.Transactions;
using TwoPC.Durability;

namespace TwoPC.Coordinator.Storage.PostgreSql;

/// <summary>Group commit: one writer loop, one fenced multi-row upsert per batch, in one database transaction.</summary>
public sealed partial class PostgreSqlTransactionLog
{
    private const string UniqueViolation = "23505";
    private long _batchesCommitted;
    private long _savesCommitted;
    private StorageFailedException? _failure;
    private int _failStopRan;
    // True after a lazy commit with no forced commit since: FlushAsync then has WAL to flush.
    private bool _lazySinceForced;

    /// <inheritdoc />
    /// <remarks>
    /// Queued for the writer, which applies saves in the order they were issued (so a lazy save is never reordered
    /// after a later save of the same id) and completes the task once its batch committed. A fenced save throws
    /// <see cref="OwnershipLostException"/> and calls the fail-stop; the other saves of its batch are unaffected.
    /// </remarks>
    public Task SaveAsync(TransactionRecord record, WriteDurability durability, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        cancellationToken.ThrowIfCancellationRequested();
        if (_failure is { } failure) return Task.FromException(failure);
        var write = new PendingWrite(record.Id, record.State, record.CompletedAt, record.IdempotencyKey, TransactionJson.Serialize(record), durability == WriteDurability.Forced);
        return Enqueue(write, cancellationToken);
    }

    /// <inheritdoc />
    public Task FlushAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_failure is { } failure) return Task.FromException(failure);
        return Enqueue(PendingWrite.Flush(), cancellationToken);
    }

    private Task Enqueue(PendingWrite write, CancellationToken cancellationToken)
    {
        if (!_queue.Writer.TryWrite(write)) return Task.FromException(new ObjectDisposedException(nameof(PostgreSqlTransactionLog)));
        // A cancelled caller stops waiting; the write itself may still happen (the contract's "some, none or all").
        return write.Done.Task.WaitAsync(cancellationToken);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingWrite>();
        var deferred = new List<PendingWrite>();
        while (deferred.Count > 0 || await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            batch.AddRange(deferred);
            deferred.Clear();
            while (batch.Count < _maxBatchSize && _queue.Reader.TryRead(out var next)) batch.Add(next);
            await WriteBatchAsync(batch, deferred).ConfigureAwait(false);
        }
    }

    private async Task WriteBatchAsync(List<PendingWrite> batch, List<PendingWrite> deferred)
    {
        if (_failure is { } failed)
        {
            foreach (var w in batch) w.Done.TrySetException(failed);
            return;
        }

        var forced = batch.Exists(w => w.Forced);
        // One row per id, its latest version: every save of that id in this batch shares the row's outcome. A save
        // whose idempotency key another id of this batch uses waits for the next batch (one statement cannot tell
        // which of the two the key belongs to).
        var rows = new Dictionary<string, List<PendingWrite>>();
        var latest = new Dictionary<string, PendingWrite>();
        var keyOwners = new Dictionary<string, string>();
        var deferring = new HashSet<string>();
        foreach (var w in batch)
        {
            if (w.Id is null) continue;
            if (deferring.Contains(w.Id) || (w.Key is not null && keyOwners.TryGetValue(w.Key, out var holder) && holder != w.Id))
            {
                deferring.Add(w.Id);
                deferred.Add(w);
                continue;
            }

            if (w.Key is not null) keyOwners[w.Key] = w.Id;
            if (!rows.TryGetValue(w.Id, out var waiters)) rows[w.Id] = waiters = [];
            waiters.Add(w);
            latest[w.Id] = w;
        }

        try
        {
            HashSet<string> written = [];
            if (latest.Count > 0) written = await UpsertWithRetryAsync([.. latest.Values], forced).ConfigureAwait(false);
            else if (forced && _lazySinceForced) await TouchAsync().ConfigureAwait(false);
            _lazySinceForced = !forced && (latest.Count > 0 || _lazySinceForced);
            Interlocked.Increment(ref _batchesCommitted);
            Interlocked.Add(ref _savesCommitted, written.Count);

            foreach (var w in batch)
            {
                if (w.Id is null) w.Done.TrySetResult();
            }

            foreach (var (id, waiters) in rows)
            {
                if (written.Contains(id))
                {
                    foreach (var w in waiters) w.Done.TrySetResult();
                    continue;
                }

                var refused = await ExplainRefusalAsync(latest[id]).ConfigureAwait(false);
                foreach (var w in waiters) w.Done.TrySetException(refused);
            }
        }
        catch (Exception e)
        {
            var first = batch.Find(w => w.Id is not null)?.Id ?? "";
            PostgreSqlLog.BatchFailed(_logger, batch.Count, first, forced, e);
            // Some, none or all of the batch may be committed (e.g. the connection died during COMMIT): never claim
            // success. After a failed forced write the log stops for good and the host ends the process.
            var failure = new StorageFailedException(Where, e);
            if (forced)
            {
                _failure = failure;
                FailStop(failure, "a forced write failed");
            }

            foreach (var w in batch)
            {
                if (!deferred.Contains(w)) w.Done.TrySetException(failure);
            }
        }
    }

    private async Task<HashSet<string>> UpsertWithRetryAsync(IReadOnlyList<PendingWrite> rows, bool forced)
    {
        try
        {
            return await UpsertAsync(rows, forced).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == UniqueViolation)
        {
            // Another instance committed the same idempotency key between our snapshot and our insert; the whole
            // statement rolled back. Once more: the key check now sees the other row and leaves that record out.
            return await UpsertAsync(rows, forced).ConfigureAwait(false);
        }
    }

    private async Task<HashSet<string>> UpsertAsync(IReadOnlyList<PendingWrite> rows, bool forced)
    {
        // One round trip: the durability setting and the upsert travel in one batch, which PostgreSQL runs as one
        // implicit transaction, committed (and for a forced batch WAL-flushed) once.
        await using var batch = _dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(forced ? Sql.Forced : Sql.Lazy));
        var upsert = new NpgsqlBatchCommand(_sql.Upsert);
        upsert.Parameters.AddWithValue("me", InstanceId);
        upsert.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = rows.Select(r => r.Id!).ToArray() });
        upsert.Parameters.Add(new NpgsqlParameter("states", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = rows.Select(r => (int)r.State).ToArray() });
        upsert.Parameters.Add(new NpgsqlParameter("finished", NpgsqlDbType.Array | NpgsqlDbType.Boolean) { Value = rows.Select(r => r.State.IsFinished()).ToArray() });
        upsert.Parameters.Add(new NpgsqlParameter("completed", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = rows.Select(r => r.CompletedAt?.UtcDateTime).ToArray() });
        upsert.Parameters.Add(new NpgsqlParameter("keys", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = rows.Select(r => r.Key).ToArray() });
        upsert.Parameters.Add(new NpgsqlParameter("records", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { Value = rows.Select(r => r.Json!).ToArray() });
        batch.BatchCommands.Add(upsert);
        var written = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await batch.ExecuteReaderAsync().ConfigureAwait(false);
        do
        {
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                if (reader.GetName(0) == "id") written.Add(reader.GetString(0));
            }
        }
        while (await reader.NextResultAsync().ConfigureAwait(false));
        return written;
    }

    private async Task TouchAsync()
    {
        await using var batch = _dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(Sql.Forced));
        batch.BatchCommands.Add(new NpgsqlBatchCommand(_sql.Touch));
        await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    // Why a row was not written: its idempotency key is another transaction's, or this instance does not own it
    // (or no longer holds a live lease). The latter is fencing: the instance must stop deciding.
    private async Task<Exception> ExplainRefusalAsync(PendingWrite write)
    {
        if (write.Key is not null)
        {
            await using var command = _dataSource.CreateCommand(_sql.KeyHolder);
            command.Parameters.AddWithValue("key", write.Key);
            command.Parameters.AddWithValue("id", write.Id!);
            if (await command.ExecuteScalarAsync().ConfigureAwait(false) is string other)
            {
                PostgreSqlLog.IdempotencyKeyTaken(_logger, write.Id!, other);
                return new InvalidOperationException($"transaction {write.Id}: idempotency key '{write.Key}' already belongs to transaction {other}; nothing was written");
            }
        }

        PostgreSqlLog.SaveFenced(_logger, write.Id!, InstanceId);
        var lost = new OwnershipLostException(write.Id!, $"transaction {write.Id}: not written, instance {InstanceId} does not own it or its lease has expired ({Where})");
        FailStop(new StorageFailedException(Where, lost), "a save was fenced: this instance no longer owns a transaction it tried to decide");
        return lost;
    }

    private void FailStop(StorageFailedException failure, string reason)
    {
        if (Interlocked.Exchange(ref _failStopRan, 1) != 0) return;
        PostgreSqlLog.FailStop(_logger, Where, reason, failure.InnerException ?? failure);
        try
        {
            _failStop.Stop(failure);
        }
        catch (Exception e)
        {
            PostgreSqlLog.FailStopCallbackFailed(_logger, Where, e);
        }
    }

    /// <summary>A save (Id set) or a flush request (Id null) waiting for the writer.</summary>
    private sealed class PendingWrite(string? id, TransactionState state, DateTimeOffset? completedAt, string? key, string? json, bool forced)
    {
        public string? Id { get; } = id;
        public TransactionState State { get; } = state;
        public DateTimeOffset? CompletedAt { get; } = completedAt;
        public string? Key { get; } = key;
        public string? Json { get; } = json;
        public bool Forced { get; } = forced;
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public static PendingWrite Flush() => new(null, default, null, null, null, forced: true);
    }
}
