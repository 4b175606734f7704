using System.Collections.Concurrent;

namespace TwoPC.Coordinator.Transactions;

/// <summary>The live (not yet finished and forgotten from memory) transactions, by id and by idempotency key.</summary>
public sealed class TransactionTable
{
    private readonly ConcurrentDictionary<string, TransactionHandle> _byId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _byKey = new(StringComparer.Ordinal);

    /// <summary>Number of live transactions.</summary>
    public int Count => _byId.Count;

    /// <summary>Every live transaction (a moment's snapshot).</summary>
    public IEnumerable<TransactionHandle> All => _byId.Values;

    /// <summary>Adds a handle; false when the id is already live.</summary>
    public bool TryAdd(TransactionHandle handle)
    {
        if (!_byId.TryAdd(handle.Id, handle)) return false;
        if (handle.Record.IdempotencyKey is { } key) _byKey.TryAdd(key, handle.Id);
        return true;
    }

    /// <summary>The handle with that id, if live.</summary>
    public bool TryGet(string id, out TransactionHandle handle) => _byId.TryGetValue(id, out handle!);

    /// <summary>The live transaction begun with that idempotency key.</summary>
    public bool TryGetByKey(string key, out TransactionHandle handle)
    {
        handle = null!;
        return _byKey.TryGetValue(key, out var id) && _byId.TryGetValue(id, out handle!);
    }

    /// <summary>The id that owns an idempotency key claimed since start, or null.</summary>
    public string? KeyOwner(string key) => _byKey.TryGetValue(key, out var id) ? id : null;

    /// <summary>Claims an idempotency key for an id; returns the id that owns it.</summary>
    public string ClaimKey(string key, string id) => _byKey.GetOrAdd(key, id);

    /// <summary>Gives up a key claimed by <paramref name="id"/> whose transaction was never created.</summary>
    public void ReleaseKey(string key, string id) => _byKey.TryRemove(new KeyValuePair<string, string>(key, id));

    /// <summary>Forgets a finished transaction from memory (the log still has it).</summary>
    public void Remove(TransactionHandle handle)
    {
        _byId.TryRemove(new KeyValuePair<string, TransactionHandle>(handle.Id, handle));
        // The idempotency key stays: a Begin retried after the end must still find the same transaction.
    }
}
