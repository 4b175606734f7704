using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Simulation.Tests.World;

/// <summary>What the coordinator's simulated disk does to one save or flush.</summary>
internal enum LogFault
{
    /// <summary>The save or flush works.</summary>
    None,

    /// <summary>The save throws before anything is written.</summary>
    FailBeforeWrite,

    /// <summary>The save reaches the disk, then throws (ambiguous, but in fact durable).</summary>
    FailAfterWrite,

    /// <summary>
    /// Lying disk: the write lands in the page cache (so it reads back), but the fsync fails and, as Linux does after
    /// a writeback error, every dirty page is marked clean without reaching the disk. The next flush succeeds
    /// without the data, reads still see it, and a crash drops it.
    /// </summary>
    FsyncDropsDirtyPages,
}

/// <summary>
/// The coordinator's decision log over a simulated disk: reads see the page cache, <see cref="GetDurable"/> shows
/// what a crash would leave. Forced saves and flushes are fsyncs; <see cref="Fault"/> picks each one's fault
/// (see <see cref="LogFault"/>). Everything runs synchronously on the simulation thread.
/// </summary>
internal sealed class SimTransactionLog(SimLoop loop) : ITransactionLog
{
    private readonly Dictionary<string, TransactionRecord> _disk = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TransactionRecord> _cache = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public string LogId { get; } = "sim-log";

    /// <summary>Picks the fault of a save (record) or of a flush (null).</summary>
    public Func<TransactionRecord?, WriteDurability, LogFault>? Fault { get; set; }

    /// <summary>Called with every record that reaches the page cache (not for a save that failed before writing).</summary>
    public Action<TransactionRecord>? OnSave { get; set; }

    /// <summary>Called when an fsync dropped dirty pages: (records whose latest version is now not durable).</summary>
    public Action<IReadOnlyList<string>>? OnDroppedPages { get; set; }

    /// <summary>Power loss: the page cache is gone; reads see the disk again.</summary>
    public void Crash()
    {
        loop.CheckThread();
        _cache.Clear();
        _dirty.Clear();
    }

    /// <summary>What a crash right now would leave of the record.</summary>
    public TransactionRecord? GetDurable(string transactionId) => _disk.TryGetValue(transactionId, out var r) ? r.Clone() : null;

    /// <summary>The record as reads see it (page cache over disk).</summary>
    public TransactionRecord? Read(string transactionId) =>
        _cache.TryGetValue(transactionId, out var r) || _disk.TryGetValue(transactionId, out r) ? r.Clone() : null;

    /// <summary>Every record as reads see it.</summary>
    public IEnumerable<TransactionRecord> All() => Merged().Select(r => r.Clone());

    /// <inheritdoc />
    public Task SaveAsync(TransactionRecord record, WriteDurability durability, CancellationToken cancellationToken)
    {
        loop.CheckThread();
        cancellationToken.ThrowIfCancellationRequested();
        var copy = record.Clone();
        var fault = Fault?.Invoke(copy, durability) ?? LogFault.None;
        if (fault == LogFault.FailBeforeWrite) return Task.FromException(new IOException("injected failure before write"));
        OnSave?.Invoke(copy);
        _cache[copy.Id] = copy;
        _dirty.Add(copy.Id);
        if (fault == LogFault.FsyncDropsDirtyPages)
        {
            DropDirty();
            return Task.FromException(new IOException("injected fsync failure (dirty pages dropped)"));
        }

        if (durability == WriteDurability.Forced) Fsync();
        return fault == LogFault.FailAfterWrite ? Task.FromException(new IOException("injected failure after write")) : Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task FlushAsync(CancellationToken cancellationToken)
    {
        loop.CheckThread();
        if (Fault?.Invoke(null, WriteDurability.Forced) is LogFault.FsyncDropsDirtyPages or LogFault.FailBeforeWrite or LogFault.FailAfterWrite)
        {
            DropDirty();
            return Task.FromException(new IOException("injected fsync failure on flush (dirty pages dropped)"));
        }

        Fsync();
        return Task.CompletedTask;
    }

    private void Fsync()
    {
        foreach (var id in _dirty) _disk[id] = _cache[id];
        _dirty.Clear();
    }

    // The pages stay readable in the cache but are clean: no later fsync writes them.
    private void DropDirty()
    {
        var dropped = _dirty.ToList();
        _dirty.Clear();
        if (dropped.Count > 0) OnDroppedPages?.Invoke(dropped);
    }

    /// <inheritdoc />
    public Task<TransactionRecord?> GetAsync(string transactionId, CancellationToken cancellationToken)
    {
        loop.CheckThread();
        return Task.FromResult(Read(transactionId));
    }

    /// <inheritdoc />
    public Task<TransactionRecord?> FindByIdempotencyKeyAsync(string idempotencyKey, CancellationToken cancellationToken)
    {
        loop.CheckThread();
        return Task.FromResult(Merged().FirstOrDefault(r => r.IdempotencyKey == idempotencyKey)?.Clone());
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<TransactionRecord>> LoadUnfinishedAsync(CancellationToken cancellationToken)
    {
        loop.CheckThread();
        IReadOnlyList<TransactionRecord> list = Merged().Where(r => !r.State.IsFinished()).Select(r => r.Clone()).ToList();
        return Task.FromResult(list);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<TransactionRecord>> ListAsync(IReadOnlyCollection<TransactionState> states, string? afterId, int limit, CancellationToken cancellationToken)
    {
        loop.CheckThread();
        IReadOnlyList<TransactionRecord> list = Merged()
            .Where(r => states.Count == 0 || states.Contains(r.State))
            .Where(r => afterId is null || string.CompareOrdinal(r.Id, afterId) < 0)
            .OrderByDescending(r => r.Id, StringComparer.Ordinal)
            .Take(limit)
            .Select(r => r.Clone())
            .ToList();
        return Task.FromResult(list);
    }

    /// <inheritdoc />
    public Task<int> ForgetFinishedAsync(DateTimeOffset completedBefore, int limit, CancellationToken cancellationToken)
    {
        loop.CheckThread();
        var ids = Merged().Where(r => r.State.IsFinished() && r.CompletedAt < completedBefore).Take(limit).Select(r => r.Id).ToList();
        foreach (var id in ids)
        {
            // A delete is a write like any other; the simulated disk applies it at once and durably.
            _cache.Remove(id);
            _disk.Remove(id);
            _dirty.Remove(id);
        }

        return Task.FromResult(ids.Count);
    }

    private IEnumerable<TransactionRecord> Merged()
    {
        foreach (var (id, r) in _disk) yield return _cache.TryGetValue(id, out var newer) ? newer : r;
        foreach (var (id, r) in _cache) if (!_disk.ContainsKey(id)) yield return r;
    }
}
