using System.Collections.Concurrent;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Storage.InMemory;

/// <summary>
/// An <see cref="ITransactionLog"/> that models a disk in memory, for tests and the simulation: forced saves go to
/// the "disk", lazy saves stay in a "page cache" until the next forced save or flush, and <see cref="Crash"/> drops
/// the page cache like a power loss. Fault hooks make saves fail before or after they reach the disk, and two
/// "lying disk" hooks model what a real disk and kernel do: <see cref="FailFlush"/> (Linux after a failed fdatasync)
/// and <see cref="AcknowledgeUnwritten"/> (a drive whose write cache acknowledges a flush it did not do).
/// </summary>
public sealed class InMemoryTransactionLog : ITransactionLog
{
    private readonly object _gate = new();
    private readonly Dictionary<string, TransactionRecord> _disk = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TransactionRecord> _cache = new(StringComparer.Ordinal);

    /// <summary>A log with a new identity, or with <paramref name="logId"/> (the simulation passes seeded ones).</summary>
    public InMemoryTransactionLog(string? logId = null) => LogId = logId ?? Guid.NewGuid().ToString("N");

    /// <inheritdoc />
    /// <remarks>Kept by <see cref="Crash"/>: it models a value forced to disk when the log was created.</remarks>
    public string LogId { get; }

    // Pages marked clean that never reached the disk: reads still see them, no flush writes them, a crash drops them.
    private readonly Dictionary<string, TransactionRecord> _lost = new(StringComparer.Ordinal);

    /// <summary>When set and returning true for a record, the save throws before anything is stored.</summary>
    public Func<TransactionRecord, bool>? FailBeforeWrite { get; set; }

    /// <summary>When set and returning true for a record, the save is stored durably and then throws (ambiguous).</summary>
    public Func<TransactionRecord, bool>? FailAfterWrite { get; set; }

    /// <summary>When set and returning true, <see cref="ForgetFinishedAsync"/> throws before deleting anything.</summary>
    public Func<bool>? FailForget { get; set; }

    /// <summary>
    /// Lying disk, the Linux way: when set and returning true for a forced save's record, that save's flush fails
    /// (the save throws) and every write not yet on disk is marked clean without being written. Reads still see those
    /// writes, the next flush succeeds without them, and <see cref="Crash"/> drops them. Return true once to model
    /// "a flush that fails once and then succeeds without the data".
    /// </summary>
    public Func<TransactionRecord, bool>? FailFlush { get; set; }

    /// <summary>
    /// Lying disk, the drive way: when set and returning true for a forced save's record, the save reports success
    /// but the record never reaches the disk (reads see it; no flush writes it; <see cref="Crash"/> drops it).
    /// </summary>
    public Func<TransactionRecord, bool>? AcknowledgeUnwritten { get; set; }

    /// <summary>Number of forced saves and flushes (each one models one fsync).</summary>
    public int Flushes { get; private set; }

    /// <summary>Drops every save not yet flushed, like a power loss.</summary>
    public void Crash()
    {
        lock (_gate)
        {
            _cache.Clear();
            _lost.Clear();
        }
    }

    /// <inheritdoc />
    public Task SaveAsync(TransactionRecord record, WriteDurability durability, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var copy = record.Clone();
        if (FailBeforeWrite?.Invoke(copy) == true) return Task.FromException(new IOException("injected failure before write"));
        lock (_gate)
        {
            _cache[copy.Id] = copy;
            if (durability == WriteDurability.Forced)
            {
                if (FailFlush?.Invoke(copy) == true)
                {
                    foreach (var (id, r) in _cache) _lost[id] = r;
                    _cache.Clear();
                    return Task.FromException(new IOException("injected fdatasync failure: the unwritten pages were marked clean"));
                }

                if (AcknowledgeUnwritten?.Invoke(copy) == true)
                {
                    _cache.Remove(copy.Id);
                    _lost[copy.Id] = copy;
                }

                FlushLocked();
            }
        }

        return FailAfterWrite?.Invoke(copy) == true
            ? Task.FromException(new IOException("injected failure after write"))
            : Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task FlushAsync(CancellationToken cancellationToken)
    {
        lock (_gate) FlushLocked();
        return Task.CompletedTask;
    }

    private void FlushLocked()
    {
        foreach (var (id, r) in _cache)
        {
            _disk[id] = r;
            _lost.Remove(id);
        }

        _cache.Clear();
        Flushes++;
    }

    /// <summary>What a crash at this point would leave of the record: the flushed version only.</summary>
    public TransactionRecord? GetDurable(string transactionId)
    {
        lock (_gate) return _disk.TryGetValue(transactionId, out var r) ? r.Clone() : null;
    }

    /// <inheritdoc />
    public Task<TransactionRecord?> GetAsync(string transactionId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var found = _cache.TryGetValue(transactionId, out var r) || _lost.TryGetValue(transactionId, out r) || _disk.TryGetValue(transactionId, out r);
            return Task.FromResult(found ? r!.Clone() : null);
        }
    }

    /// <inheritdoc />
    public Task<TransactionRecord?> FindByIdempotencyKeyAsync(string idempotencyKey, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var found = Merged().FirstOrDefault(r => r.IdempotencyKey == idempotencyKey);
            return Task.FromResult(found?.Clone());
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<TransactionRecord>> LoadUnfinishedAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<TransactionRecord> list = Merged().Where(r => !r.State.IsFinished()).Select(r => r.Clone()).ToList();
            return Task.FromResult(list);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<TransactionRecord>> ListAsync(IReadOnlyCollection<TransactionState> states, string? afterId, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<TransactionRecord> list = Merged()
                .Where(r => states.Count == 0 || states.Contains(r.State))
                .Where(r => afterId is null || string.CompareOrdinal(r.Id, afterId) < 0)
                .OrderByDescending(r => r.Id, StringComparer.Ordinal)
                .Take(limit)
                .Select(r => r.Clone())
                .ToList();
            return Task.FromResult(list);
        }
    }

    /// <inheritdoc />
    public Task<int> ForgetFinishedAsync(DateTimeOffset completedBefore, int limit, CancellationToken cancellationToken)
    {
        if (FailForget?.Invoke() == true) return Task.FromException<int>(new IOException("injected failure of forget"));
        lock (_gate)
        {
            var ids = Merged().Where(r => r.State.IsFinished() && r.CompletedAt < completedBefore).Take(limit).Select(r => r.Id).ToList();
            foreach (var id in ids)
            {
                _cache.Remove(id);
                _lost.Remove(id);
                _disk.Remove(id);
            }

            return Task.FromResult(ids.Count);
        }
    }

    private IEnumerable<TransactionRecord> Merged()
    {
        foreach (var (id, r) in _disk) yield return Newest(id) ?? r;
        foreach (var (id, r) in _lost) if (!_disk.ContainsKey(id)) yield return _cache.TryGetValue(id, out var newer) ? newer : r;
        foreach (var (id, r) in _cache) if (!_disk.ContainsKey(id) && !_lost.ContainsKey(id)) yield return r;
    }

    private TransactionRecord? Newest(string id) =>
        _cache.TryGetValue(id, out var r) || _lost.TryGetValue(id, out r) ? r : null;
}
