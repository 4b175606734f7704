using Npgsql;
using NpgsqlTypes;
using TwoPC.Coordinator.Transactions;
using TwoPC.Durability;

namespace TwoPC.Coordinator.Storage.PostgreSql;

/// <summary>Leases, takeover, presumed abort and ownership (the <see cref="IClusteredTransactionLog"/> part).</summary>
public sealed partial class PostgreSqlTransactionLog
{
    /// <inheritdoc />
    /// <remarks>
    /// The first call inserts this instance's row (a new epoch from a sequence); later calls extend the lease only
    /// while it is live, by the database's clock. Once it has expired this returns false for good, even if the row
    /// was removed meanwhile: an instance never re-registers.
    /// </remarks>
    public async Task<bool> RenewLeaseAsync(TimeSpan leaseDuration, string advertisedAddress, CancellationToken cancellationToken)
    {
        if (leaseDuration <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(leaseDuration), leaseDuration, "must be > 0");
        await _leaseGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_leaseLost) return false;
            await using var command = _dataSource.CreateCommand(_registered ? _sql.Renew : _sql.Register);
            command.Parameters.AddWithValue("me", InstanceId);
            command.Parameters.AddWithValue("address", advertisedAddress ?? "");
            command.Parameters.AddWithValue("lease", leaseDuration);
            var live = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
            _registered = true;
            if (!live)
            {
                _leaseLost = true;
                PostgreSqlLog.LeaseLost(_logger, InstanceId);
            }

            return live;
        }
        finally
        {
            _leaseGate.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>One forced statement: the claimed rows change owner in the same transaction that selects them.</remarks>
    public async Task<IReadOnlyList<TransactionRecord>> ClaimOrphansAsync(int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var command = _dataSource.CreateCommand(_sql.Claim);
        command.Parameters.AddWithValue("me", InstanceId);
        command.Parameters.AddWithValue("limit", limit);
        var claimed = await ReadRecordsAsync(command, cancellationToken).ConfigureAwait(false);
        foreach (var r in claimed) PostgreSqlLog.Claimed(_logger, r.Id, r.State, InstanceId);
        return claimed;
    }

    /// <inheritdoc />
    /// <remarks>
    /// The tombstone is marked <c>presumed_abort</c>: no save replaces it, not even this instance's, so a transaction
    /// that a participant heard "aborted" about can never be committed. Throws <see cref="OwnershipLostException"/>
    /// when there is no record and this instance's lease is not live (it cannot store the answer).
    /// </remarks>
    public async Task<TransactionRecord> PresumeAbortAsync(string transactionId, string reason, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(transactionId);
        var now = _time.GetUtcNow();
        var tombstone = new TransactionRecord
        {
            Id = transactionId,
            Mode = TransactionMode.TwoPhase,
            State = TransactionState.Aborted,
            Reason = reason,
            CreatedAt = now,
            Deadline = now,
            DecidedAt = now,
            CompletedAt = now,
        };
        await using var batch = _dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(Sql.Forced));
        var insert = new NpgsqlBatchCommand(_sql.PresumeAbort);
        insert.Parameters.AddWithValue("id", transactionId);
        insert.Parameters.AddWithValue("state", (int)TransactionState.Aborted);
        insert.Parameters.AddWithValue("completed", now.UtcDateTime);
        insert.Parameters.AddWithValue("me", InstanceId);
        insert.Parameters.Add(new NpgsqlParameter("record", NpgsqlDbType.Jsonb) { Value = TransactionJson.Serialize(tombstone) });
        batch.BatchCommands.Add(insert);
        var read = new NpgsqlBatchCommand(_sql.Get);
        read.Parameters.AddWithValue("id", transactionId);
        batch.BatchCommands.Add(read);
        TransactionRecord? stored = null;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            do
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (reader.GetName(0) == "record") stored = TransactionJson.Deserialize(reader.GetString(0));
                }
            }
            while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false));
        }

        if (stored is null)
        {
            var lost = new OwnershipLostException(transactionId, $"transaction {transactionId}: no record, and instance {InstanceId} cannot store a presumed abort: its lease has expired ({Where})");
            FailStop(new StorageFailedException(Where, lost), "its lease expired while answering an in-doubt query");
            throw lost;
        }

        PostgreSqlLog.PresumedAbort(_logger, transactionId, InstanceId, stored.State);
        return stored;
    }

    /// <inheritdoc />
    public async Task<TransactionOwner?> GetOwnerAsync(string transactionId, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.Owner);
        command.Parameters.AddWithValue("id", transactionId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
        return new TransactionOwner(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2));
    }
}
