namespace TwoPC.Simulation.Tests.World;

/// <summary>
/// A participant's disk: writes land in a page cache and become durable with the next forced write or flush;
/// <see cref="Crash"/> loses the page cache. Effects (business changes) are appended in the same local transaction
/// as the record that caused them, so they share its durability.
/// </summary>
internal sealed class SimDisk<TKey, TValue>
    where TKey : notnull
{
    private readonly Dictionary<TKey, TValue> _durable = [];
    private readonly Dictionary<TKey, TValue> _cache = [];
    private readonly List<string> _durableEffects = [];
    private readonly List<string> _cachedEffects = [];

    public TValue? Read(TKey key) => _cache.TryGetValue(key, out var v) || _durable.TryGetValue(key, out v) ? v : default;

    public TValue? ReadDurable(TKey key) => _durable.TryGetValue(key, out var v) ? v : default;

    /// <summary>Writes a record (and optionally an effect); forced writes flush everything before returning.</summary>
    public void Write(TKey key, TValue value, bool force, string? effect = null)
    {
        _cache[key] = value;
        if (effect is not null) _cachedEffects.Add(effect);
        if (force) Flush();
    }

    public void Flush()
    {
        foreach (var (k, v) in _cache) _durable[k] = v;
        _cache.Clear();
        _durableEffects.AddRange(_cachedEffects);
        _cachedEffects.Clear();
    }

    public void Crash()
    {
        _cache.Clear();
        _cachedEffects.Clear();
    }

    public IEnumerable<KeyValuePair<TKey, TValue>> All()
    {
        foreach (var (k, v) in _durable) yield return new(k, _cache.TryGetValue(k, out var newer) ? newer : v);
        foreach (var (k, v) in _cache) if (!_durable.ContainsKey(k)) yield return new(k, v);
    }

    public IEnumerable<KeyValuePair<TKey, TValue>> AllDurable() => _durable;

    public IReadOnlyList<string> DurableEffects => _durableEffects;
}
