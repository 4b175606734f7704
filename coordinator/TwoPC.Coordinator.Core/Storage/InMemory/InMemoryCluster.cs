using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Storage.InMemory;

/// <summary>
/// A shared decision log in memory for several engines in one test process: the cluster contract of
/// <see cref="IClusteredTransactionLog"/> (leases by one clock, fenced saves, single claimant, stored presumed abort)
/// without a database. Every save is immediately "durable"; crashes of the shared store are not modelled (see
/// <see cref="InMemoryTransactionLog"/> for that). Connect one log per instance with <see cref="Connect"/>.
/// </summary>
public sealed class InMemoryCluster(TimeProvider clock)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, (TransactionRecord Record, string Owner)> _records = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Epoch, DateTimeOffset LeaseUntil, string Address)> _instances = new(StringComparer.Ordinal);

    /// <summary>The cluster's identity, shared by every connected instance.</summary>
    public string LogId { get; } = Guid.NewGuid().ToString("N");

    /// <summary>A new instance's log (a new instance id, as a process start gets).</summary>
    public InMemoryClusteredTransactionLog Connect() => new(this, Guid.NewGuid().ToString("N"));

    /// <summary>The owner instance id of a record, or null.</summary>
    public string? OwnerOf(string transactionId)
    {
        lock (_gate) return _records.TryGetValue(transactionId, out var entry) ? entry.Owner : null;
    }

    private bool LeaseLive(string instanceId) => _instances.TryGetValue(instanceId, out var i) && i.LeaseUntil > clock.GetUtcNow();

    internal void Save(string me, TransactionRecord record)
    {
        lock (_gate)
        {
            if (!LeaseLive(me)) throw new OwnershipLostException(record.Id, $"instance {me} has no live lease; nothing was written");
            if (_records.TryGetValue(record.Id, out var existing) && existing.Owner != me)
                throw new OwnershipLostException(record.Id, $"transaction {record.Id} is owned by instance {existing.Owner}; nothing was written");
            _records[record.Id] = (record.Clone(), me);
        }
    }

    internal TransactionRecord? Get(string id)
    {
        lock (_gate) return _records.TryGetValue(id, out var entry) ? entry.Record.Clone() : null;
    }

    internal IReadOnlyList<TransactionRecord> Where(Func<TransactionRecord, bool> predicate)
    {
        lock (_gate) return _records.Values.Select(e => e.Record).Where(predicate).Select(r => r.Clone()).ToList();
    }

    internal int Forget(DateTimeOffset completedBefore, int limit)
    {
        lock (_gate)
        {
            var ids = _records.Values.Select(e => e.Record).Where(r => r.State.IsFinished() && r.CompletedAt < completedBefore).Take(limit).Select(r => r.Id).ToList();
            foreach (var id in ids) _records.Remove(id);
            return ids.Count;
        }
    }

    internal bool Renew(string me, TimeSpan duration, string address)
    {
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            if (!_instances.TryGetValue(me, out var instance))
            {
                _instances[me] = (_instances.Count + 1, now + duration, address);
                return true;
            }

            if (instance.LeaseUntil <= now) return false;
            _instances[me] = (instance.Epoch, now + duration, address);
            return true;
        }
    }

    internal IReadOnlyList<TransactionRecord> Claim(string me, int limit)
    {
        lock (_gate)
        {
            if (!LeaseLive(me)) return [];
            var claimed = _records.Where(e => !e.Value.Record.State.IsFinished() && e.Value.Owner != me && !LeaseLive(e.Value.Owner))
                .Take(limit).Select(e => e.Key).ToList();
            foreach (var id in claimed) _records[id] = (_records[id].Record, me);
            return claimed.Select(id => _records[id].Record.Clone()).ToList();
        }
    }

    internal TransactionRecord PresumeAbort(string me, string id, string reason)
    {
        lock (_gate)
        {
            if (_records.TryGetValue(id, out var existing)) return existing.Record.Clone();
            var now = clock.GetUtcNow();
            var tombstone = new TransactionRecord
            {
                Id = id, Mode = TransactionMode.TwoPhase, State = TransactionState.Aborted, Reason = reason,
                CreatedAt = now, Deadline = now, DecidedAt = now, CompletedAt = now,
            };
            _records[id] = (tombstone, me);
            return tombstone.Clone();
        }
    }

    internal TransactionOwner? Owner(string id)
    {
        lock (_gate)
        {
            if (!_records.TryGetValue(id, out var entry)) return null;
            return new TransactionOwner(entry.Owner, _instances.TryGetValue(entry.Owner, out var i) ? i.Address : "", LeaseLive(entry.Owner));
        }
    }
}

/// <summary>One instance's connection to an <see cref="InMemoryCluster"/>.</summary>
public sealed class InMemoryClusteredTransactionLog : IClusteredTransactionLog
{
    private readonly InMemoryCluster _cluster;

    internal InMemoryClusteredTransactionLog(InMemoryCluster cluster, string instanceId)
    {
        _cluster = cluster;
        InstanceId = instanceId;
    }

    /// <inheritdoc />
    public string InstanceId { get; }

    /// <inheritdoc />
    public string LogId => _cluster.LogId;

    /// <inheritdoc />
    public Task SaveAsync(TransactionRecord record, WriteDurability durability, CancellationToken cancellationToken)
    {
        _cluster.Save(InstanceId, record);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task<TransactionRecord?> GetAsync(string transactionId, CancellationToken cancellationToken) => Task.FromResult(_cluster.Get(transactionId));

    /// <inheritdoc />
    public Task<TransactionRecord?> FindByIdempotencyKeyAsync(string idempotencyKey, CancellationToken cancellationToken) =>
        Task.FromResult(_cluster.Where(r => r.IdempotencyKey == idempotencyKey).FirstOrDefault());

    /// <inheritdoc />
    public Task<IReadOnlyList<TransactionRecord>> LoadUnfinishedAsync(CancellationToken cancellationToken) =>
        Task.FromResult(_cluster.Where(r => !r.State.IsFinished()));

    /// <inheritdoc />
    public Task<IReadOnlyList<TransactionRecord>> ListAsync(IReadOnlyCollection<TransactionState> states, string? afterId, int limit, CancellationToken cancellationToken)
    {
        IReadOnlyList<TransactionRecord> page = _cluster.Where(r => (states.Count == 0 || states.Contains(r.State)) && (afterId is null || string.CompareOrdinal(r.Id, afterId) < 0))
            .OrderByDescending(r => r.Id, StringComparer.Ordinal).Take(limit).ToList();
        return Task.FromResult(page);
    }

    /// <inheritdoc />
    public Task<int> ForgetFinishedAsync(DateTimeOffset completedBefore, int limit, CancellationToken cancellationToken) =>
        Task.FromResult(_cluster.Forget(completedBefore, limit));

    /// <inheritdoc />
    public Task<bool> RenewLeaseAsync(TimeSpan leaseDuration, string advertisedAddress, CancellationToken cancellationToken) =>
        Task.FromResult(_cluster.Renew(InstanceId, leaseDuration, advertisedAddress));

    /// <inheritdoc />
    public Task<IReadOnlyList<TransactionRecord>> ClaimOrphansAsync(int limit, CancellationToken cancellationToken) =>
        Task.FromResult(_cluster.Claim(InstanceId, limit));

    /// <inheritdoc />
    public Task<TransactionRecord> PresumeAbortAsync(string transactionId, string reason, CancellationToken cancellationToken) =>
        Task.FromResult(_cluster.PresumeAbort(InstanceId, transactionId, reason));

    /// <inheritdoc />
    public Task<TransactionOwner?> GetOwnerAsync(string transactionId, CancellationToken cancellationToken) => Task.FromResult(_cluster.Owner(transactionId));
}
