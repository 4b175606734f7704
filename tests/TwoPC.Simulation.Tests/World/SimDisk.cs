namespace TwoPC.Simulation.Tests.World;

/// <summary>
/// A participant's disk: writes land in a page cache and become durable with the next forced write or flush;
/// <see cref="Crash"/> loses the page cache. Effects (business changes) are appended in the same local transaction
/// as the record that caused them, so they share its durability.
/// <para>Lying mode (<see cref="FailFlush"/>): a flush may fail the way fsync fails on Linux — the dirty pages are
/// marked clean without reaching the disk. They still read back, a later flush succeeds without them, and a crash
/// drops them. Only rewriting a record makes it durable again.</para>
/// </summary>
internal sealed class SimDisk<TKey, TValue>
    where TKey : notnull
{
    private readonly Dictionary<TKey, TValue> _durable = [];
    private readonly Dictionary<TKey, TValue> _cache = [];
    private readonly Dictionary<TKey, TValue> _stale = [];
    private readonly List<string> _durableEffects = [];
    private readonly List<string> _cachedEffects = [];

    /// <summary>When set and returning true, the next flush fails and drops the dirty pages (see the class remarks).</summary>
    public Func<bool>? FailFlush { get; set; }

    public TValue? Read(TKey key) => _cache.TryGetValue(key, out var v) || _stale.TryGetValue(key, out v) || _durable.TryGetValue(key, out v) ? v : default;

    public TValue? ReadDurable(TKey key) => _durable.TryGetValue(key, out var v) ? v : default;

    /// <summary>Writes a record (and optionally an effect); forced writes flush everything before returning.</summary>
    public void Write(TKey key, TValue value, bool force, string? effect = null)
    {
        _cache[key] = value;
        _stale.Remove(key);
        if (effect is not null) _cachedEffects.Add(effect);
        if (force) Flush();
    }

    /// <summary>Makes the page cache durable; in lying mode it may throw after dropping it (readable, never durable).</summary>
    public void Flush()
    {
        if (FailFlush?.Invoke() == true)
        {
            foreach (var (k, v) in _cache) _stale[k] = v;
            _cache.Clear();
            _cachedEffects.Clear();
            throw new IOException("injected fsync failure: dirty pages dropped");
        }

        foreach (var (k, v) in _cache) _durable[k] = v;
        _cache.Clear();
        _durableEffects.AddRange(_cachedEffects);
        _cachedEffects.Clear();
    }

    public void Crash()
    {
        _cache.Clear();
        _stale.Clear();
        _cachedEffects.Clear();
    }

    public IEnumerable<KeyValuePair<TKey, TValue>> All()
    {
        foreach (var (k, v) in _durable) yield return new(k, _cache.TryGetValue(k, out var newer) || _stale.TryGetValue(k, out newer) ? newer : v);
        foreach (var (k, v) in _stale) if (!_durable.ContainsKey(k)) yield return new(k, _cache.TryGetValue(k, out var newer) ? newer : v);
        foreach (var (k, v) in _cache) if (!_durable.ContainsKey(k) && !_stale.ContainsKey(k)) yield return new(k, v);
    }

    public IEnumerable<KeyValuePair<TKey, TValue>> AllDurable() => _durable;

    public IReadOnlyList<string> DurableEffects => _durableEffects;
}
