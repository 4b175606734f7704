using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using TwoPC.Durability;

namespace TwoPC.Participant.LiteDb.Tests;

/// <summary>Opens real LiteDB store files in a temporary directory, with a flusher that counts and a fail-stop that records.</summary>
internal sealed class LiteDbStoreFixture : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("twopc-pstore-").FullName;

    public CountingFlusher Flusher { get; } = new();

    public RecordingFailStop FailStop { get; } = new();

    public LiteDbParticipantStore Open(string name)
    {
        var metrics = new DurabilityMetrics();
        return new LiteDbParticipantStore(Options.Create(new LiteDbParticipantStoreOptions { DataPath = Path.Combine(Directory, name + ".db") }),
            Flusher, metrics, FailStop);
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    /// <summary>Flushes for real (fdatasync) and counts.</summary>
    internal sealed class CountingFlusher : IFileFlusher
    {
        private readonly FdatasyncFileFlusher _real = new(new DurabilityMetrics());
        private int _flushes;

        public int Flushes => Volatile.Read(ref _flushes);

        public void Flush(string path)
        {
            _real.Flush(path);
            Interlocked.Increment(ref _flushes);
        }
    }

    internal sealed class RecordingFailStop : IStorageFailStop
    {
        public ConcurrentQueue<StorageFailedException> Stops { get; } = new();

        public void Stop(StorageFailedException failure) => Stops.Enqueue(failure);
    }
}
