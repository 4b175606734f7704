using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Storage.LiteDb;
using TwoPC.Durability;

namespace TwoPC.Coordinator.Tests.Storage;

public sealed class LiteDbTransactionLogContractTests : TransactionLogContractTests, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "twopc-tests", Guid.NewGuid().ToString("N"));
    private readonly List<IDisposable> _open = [];

    public CountingFlusher Flusher { get; } = new();

    protected override ITransactionLog CreateLog() => Open();

    // Each CreateLog gets its own file (a fresh, empty store); a reopen opens the same file again.
    private LiteDbTransactionLog Open(string? path = null)
    {
        path ??= Path.Combine(_dir, $"log{_open.Count}.db");
        var log = new LiteDbTransactionLog(new GroupCommitOptions { Path = path }, Flusher, new DurabilityMetrics());
        _open.Add(log);
        return log;
    }

    // A process crash loses nothing LiteDB already wrote to the page cache; what this proves is that the records
    // reached the file and are read back by a new engine. That they reached the *disk* is what the flush count
    // below proves: a forced save returns only after an fdatasync of the log file.
    protected override ITransactionLog CrashAndReopen(ITransactionLog log)
    {
        var liteDb = (LiteDbTransactionLog)log;
        liteDb.Dispose();
        return Open(liteDb.Committer.DataPath);
    }

    [Fact]
    public async Task ForcedSave_FlushesTheLogFile_BeforeCompleting()
    {
        var log = Open();
        var before = Flusher.Paths.Count;

        await log.SaveAsync(new Coordinator.Transactions.TransactionRecord { Id = Coordinator.Transactions.TransactionManager.NewId(), State = Coordinator.Transactions.TransactionState.Committing }, WriteDurability.Forced, CancellationToken.None);

        Assert.Contains(log.Committer.LogPath, Flusher.Paths.Skip(before));
    }

    [Fact]
    public async Task LazySave_DoesNotFlush()
    {
        var log = Open();
        var before = Flusher.Paths.Count;

        await log.SaveAsync(new Coordinator.Transactions.TransactionRecord { Id = Coordinator.Transactions.TransactionManager.NewId(), State = Coordinator.Transactions.TransactionState.Aborting }, WriteDurability.Lazy, CancellationToken.None);

        Assert.Equal(before, Flusher.Paths.Count);
    }

    [Fact]
    public async Task ForgetFinished_ParkedSagaWrittenWithTheFinishedFlag_IsKept()
    {
        var log = Open();
        var parked = new Coordinator.Transactions.TransactionRecord
        {
            Id = Coordinator.Transactions.TransactionIds.At(DateTimeOffset.UtcNow.AddHours(-3)),
            Mode = Coordinator.Transactions.TransactionMode.Saga,
            State = Coordinator.Transactions.TransactionState.SagaNeedsAttention,
            CompletedAt = DateTimeOffset.UtcNow.AddHours(-2),
        };
        await log.SaveAsync(parked, WriteDurability.Forced, CancellationToken.None);
        // The finished flag set on a parked saga's document.
        var docs = log.Committer.Database.GetCollection("transactions");
        var doc = docs.FindById(parked.Id);
        doc["finished"] = true;
        docs.Update(doc);

        await log.ForgetFinishedAsync(DateTimeOffset.UtcNow.AddHours(-1), 100, CancellationToken.None);

        Assert.NotNull(await log.GetAsync(parked.Id, CancellationToken.None));
    }

    public void Dispose()
    {
        foreach (var d in _open) d.Dispose();
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Counts flushes and passes them on to the real fdatasync.</summary>
    public sealed class CountingFlusher : IFileFlusher
    {
        private readonly FdatasyncFileFlusher _inner = new(new DurabilityMetrics());

        public System.Collections.Concurrent.ConcurrentQueue<string> Paths { get; } = new();

        public void Flush(string path)
        {
            _inner.Flush(path);
            Paths.Enqueue(path);
        }
    }
}
