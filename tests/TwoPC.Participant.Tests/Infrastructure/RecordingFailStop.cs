using System.Collections.Concurrent;
using TwoPC.Durability;

namespace TwoPC.Participant.Tests.Infrastructure;

/// <summary>A fail-stop that records instead of ending the test process.</summary>
internal sealed class RecordingFailStop : IStorageFailStop
{
    public ConcurrentQueue<StorageFailedException> Stops { get; } = new();

    public void Stop(StorageFailedException failure) => Stops.Enqueue(failure);
}
