using System.Collections.Concurrent;

namespace TwoPC.Coordinator.Diagnostics;

/// <summary>Named counters of the coordinator (begun, committed, aborted, retries, ...), exposed by GetStats.</summary>
public sealed class CoordinatorMetrics
{
    private readonly ConcurrentDictionary<string, long> _counters = new(StringComparer.Ordinal);

    /// <summary>Adds <paramref name="by"/> to a counter.</summary>
    public void Add(string name, long by = 1) => _counters.AddOrUpdate(name, by, (_, v) => v + by);

    /// <summary>A snapshot of every counter.</summary>
    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(_counters);
}
