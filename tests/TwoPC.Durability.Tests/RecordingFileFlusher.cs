using System.Collections.Concurrent;

namespace TwoPC.Durability.Tests;

/// <summary>A flusher seam for tests: records each flush, can block or fail, and calls the real flusher.</summary>
public sealed class RecordingFileFlusher : IFileFlusher
{
    private readonly IFileFlusher _inner = new FdatasyncFileFlusher(new DurabilityMetrics());

    public ConcurrentQueue<string> Flushed { get; } = new();

    public Func<string, Exception?>? Fail { get; set; }

    /// <summary>When set, each flush waits for it before returning.</summary>
    public ManualResetEventSlim? Gate { get; set; }

    public int Count => Flushed.Count;

    public void Flush(string path)
    {
        Gate?.Wait(TimeSpan.FromSeconds(30));
        if (Fail?.Invoke(path) is { } error) throw error;
        _inner.Flush(path);
        Flushed.Enqueue(path);
    }
}
