using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Transactions;
using TwoPC.Durability;

namespace TwoPC.Coordinator.Tests.Hosting;

/// <summary>The coordinator host wires its LiteDB log's fail-stop to <see cref="IStorageFailStop"/> (by default the process ends).</summary>
public sealed class FailStopWiringTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "twopc-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public void ByDefault_AStoreFailureEndsTheProcess()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddTwoPcCoordinator(o => o.DataPath = Path.Combine(_dir, "c.db"));
        using var provider = services.BuildServiceProvider();

        Assert.IsType<ProcessFailStop>(provider.GetRequiredService<IStorageFailStop>());
    }

    [Fact]
    public async Task AFailedForcedSave_RunsTheRegisteredFailStopOnce_AndEveryLaterSaveFails()
    {
        var failStop = new Recording();
        var flusher = new FailingFlusher();
        var services = new ServiceCollection().AddLogging().AddSingleton<IStorageFailStop>(failStop).AddSingleton<IFileFlusher>(flusher);
        services.AddTwoPcCoordinator(o => o.DataPath = Path.Combine(_dir, "c.db"));
        await using var provider = services.BuildServiceProvider();
        var log = provider.GetRequiredService<ITransactionLog>();
        flusher.Fail = true;

        var record = new TransactionRecord { Id = TransactionManager.NewId(), State = TransactionState.Committing };
        await Assert.ThrowsAsync<StorageFailedException>(() => log.SaveAsync(record, WriteDurability.Forced, CancellationToken.None));
        flusher.Fail = false;
        await Assert.ThrowsAsync<StorageFailedException>(() => log.SaveAsync(record, WriteDurability.Forced, CancellationToken.None));

        Assert.Single(failStop.Stops);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }
    }

    private sealed class Recording : IStorageFailStop
    {
        public ConcurrentQueue<StorageFailedException> Stops { get; } = new();

        public void Stop(StorageFailedException failure) => Stops.Enqueue(failure);
    }

    private sealed class FailingFlusher : IFileFlusher
    {
        public volatile bool Fail;

        public void Flush(string path)
        {
            if (Fail) throw new IOException("EIO");
        }
    }
}
