using LiteDB;

namespace TwoPC.Durability.LiteDb.Tests;

/// <summary>
/// After a failed fdatasync Linux marks the dirty pages clean and forgets the error, so a later flush "succeeds"
/// without the data. The committer therefore fails for good once a batch's commit or flush failed.
/// </summary>
public sealed class LiteDbGroupCommitterFailStopTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly RecordingFileFlusher _flusher = new();

    private static void Insert(LiteDatabase db, int id) => db.GetCollection("c").Insert(new BsonDocument { ["_id"] = id, ["v"] = "x" });

    [Fact]
    public async Task FailedFlush_FailsEveryLaterWriteAndFlush_AndTheFailStopCallbackRunsOnce()
    {
        var stops = new System.Collections.Concurrent.ConcurrentQueue<StorageFailedException>();
        using var sut = new LiteDbGroupCommitter(new GroupCommitOptions { Path = _dir.File("store.db"), OnFailStop = stops.Enqueue }, _flusher, new DurabilityMetrics());
        var failOnce = 1;
        _flusher.Fail = _ => Interlocked.Exchange(ref failOnce, 0) == 1 ? new IOException("EIO") : null;

        var first = await Assert.ThrowsAsync<StorageFailedException>(() => sut.WriteAsync(db => Insert(db, 1), force: true, CancellationToken.None));
        Assert.Single(stops);

        // The disk "works" again, but the store must not: what it holds in memory may not be on disk.
        var later = new[]
        {
            sut.WriteAsync(db => Insert(db, 2), force: true, CancellationToken.None),
            sut.WriteAsync(db => Insert(db, 3), force: false, CancellationToken.None),
            sut.FlushAsync(CancellationToken.None),
        };
        foreach (var write in later) await Assert.ThrowsAsync<StorageFailedException>(() => write);

        Assert.IsType<IOException>(first.InnerException);
        Assert.Contains("must restart", first.Message);
        Assert.Same(first, sut.Failure);
        Assert.Single(stops);
        Assert.Same(first, stops.Single());
        Assert.Null(sut.Database.GetCollection("c").FindById(2));
    }

    [Fact]
    public async Task FailStop_ByTheCaller_FailsEveryLaterWrite_AndRunsTheCallbackOnce()
    {
        var stops = 0;
        using var sut = new LiteDbGroupCommitter(new GroupCommitOptions { Path = _dir.File("store.db"), OnFailStop = _ => Interlocked.Increment(ref stops) }, _flusher, new DurabilityMetrics());
        await sut.WriteAsync(db => Insert(db, 1), force: true, CancellationToken.None);

        sut.FailStop(new InvalidOperationException("memory no longer matches the disk"));
        sut.FailStop(new InvalidOperationException("again"));

        await Assert.ThrowsAsync<StorageFailedException>(() => sut.WriteAsync(db => Insert(db, 2), force: true, CancellationToken.None));
        Assert.Equal(1, stops);
    }

    [Fact]
    public async Task AFailStopCallbackThatThrows_IsLogged_AndTheStoreStillFailsEveryWrite()
    {
        var logger = new CriticalLogger();
        using var sut = new LiteDbGroupCommitter(new GroupCommitOptions
        {
            Path = _dir.File("store.db"),
            OnFailStop = _ => throw new InvalidOperationException("the host's callback broke"),
            Logger = logger,
        }, _flusher, new DurabilityMetrics());
        _flusher.Fail = _ => new IOException("the disk failed");

        await Assert.ThrowsAsync<StorageFailedException>(() => sut.WriteAsync(db => Insert(db, 1), force: true, CancellationToken.None));
        await Assert.ThrowsAsync<StorageFailedException>(() => sut.WriteAsync(db => Insert(db, 2), force: true, CancellationToken.None));

        var entry = Assert.Single(logger.Entries);
        Assert.Equal("the host's callback broke", entry.Exception!.Message);
        Assert.Contains("store.db", entry.Message);
    }

    private sealed class CriticalLogger : Microsoft.Extensions.Logging.ILogger
    {
        public System.Collections.Concurrent.ConcurrentQueue<(string Message, Exception? Exception)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == Microsoft.Extensions.Logging.LogLevel.Critical) Entries.Enqueue((formatter(state, exception), exception));
        }
    }

    [Fact]
    public async Task FailedFlushOfTheDataFileAfterACheckpoint_StopsTheStore()
    {
        var stops = 0;
        using var sut = new LiteDbGroupCommitter(new GroupCommitOptions { Path = _dir.File("store.db"), CheckpointLogBytes = 64 * 1024, OnFailStop = _ => Interlocked.Increment(ref stops) }, _flusher, new DurabilityMetrics());
        // The checkpoint has emptied the log into the data file; if the data file's flush fails, those pages may be lost.
        _flusher.Fail = path => path == sut.DataPath ? new IOException("EIO") : null;

        await sut.WriteAsync(db => db.GetCollection("c").Insert(new BsonDocument { ["_id"] = 1, ["v"] = new string('x', 200_000) }), force: true, CancellationToken.None);
        // The checkpoint runs between batches, once the writer is idle.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (sut.Failure is null) await Task.Delay(5, timeout.Token);

        await Assert.ThrowsAsync<StorageFailedException>(() => sut.FlushAsync(CancellationToken.None));
        Assert.Equal(1, stops);
    }

    [Fact]
    public async Task ForcedBatchWithNoPageWrites_AfterACloseDeletedTheEmptyLog_Succeeds()
    {
        var options = new GroupCommitOptions { Path = _dir.File("store.db"), CheckpointLogBytes = 64 * 1024 };
        string logPath;
        using (var first = new LiteDbGroupCommitter(options, _flusher, new DurabilityMetrics()))
        {
            logPath = first.LogPath;
            for (var i = 0; i < 10; i++) await first.WriteAsync(db => Insert(db, i), force: true, CancellationToken.None);
            // One write bigger than the checkpoint size: the idle checkpoint after it leaves the log empty.
            await first.WriteAsync(db => db.GetCollection("c").Insert(new BsonDocument { ["_id"] = 10, ["v"] = new string('x', 200_000) }), force: true, CancellationToken.None);
            await first.FlushAsync(CancellationToken.None);
        }

        // The idle checkpoint emptied the log and the clean close deleted it.
        Assert.False(File.Exists(logPath), "precondition: LiteDB deletes an empty log on close");
        using var reopened = new LiteDbGroupCommitter(options, _flusher, new DurabilityMetrics());

        await reopened.FlushAsync(CancellationToken.None);
        await reopened.WriteAsync(db => Insert(db, 1000), force: true, CancellationToken.None);

        Assert.Equal(12, reopened.Database.GetCollection("c").Count());
    }

    public void Dispose() => _dir.Dispose();
}
