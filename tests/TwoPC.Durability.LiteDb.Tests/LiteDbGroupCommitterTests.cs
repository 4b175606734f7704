using LiteDB;

namespace TwoPC.Durability.LiteDb.Tests;

public sealed class LiteDbGroupCommitterTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly RecordingFileFlusher _flusher = new();
    private readonly DurabilityMetrics _metrics = new();

    private LiteDbGroupCommitter CreateSut(int maxBatch = 256, long checkpointBytes = 8L * 1024 * 1024) =>
        new(new GroupCommitOptions { Path = _dir.File("store.db"), MaxBatchSize = maxBatch, CheckpointLogBytes = checkpointBytes, MaxLogBytes = Math.Max(checkpointBytes, 64L * 1024 * 1024) }, _flusher, _metrics);

    private static void Insert(LiteDatabase db, int id) => db.GetCollection("c").Insert(new BsonDocument { ["_id"] = id, ["v"] = "x" });

    [Fact]
    public async Task ForcedWrite_CompletesOnlyAfterTheLogIsFlushed()
    {
        using var sut = CreateSut();
        var flushesBefore = _flusher.Count;
        using var gate = new ManualResetEventSlim(false);
        _flusher.Gate = gate;

        var write = sut.WriteAsync(db => Insert(db, 1), force: true, CancellationToken.None);

        // The write is in LiteDB but the flush is held: the task must not complete.
        await Task.WhenAny(write, Task.Delay(200));
        Assert.False(write.IsCompleted);
        gate.Set();
        await write;
        Assert.Contains(sut.LogPath, _flusher.Flushed.Skip(flushesBefore));
        Assert.Equal(1, _metrics.ForcedWrites);
    }

    [Fact]
    public async Task LazyWrite_DoesNotFlush()
    {
        using var sut = CreateSut();
        var before = _flusher.Count;

        await sut.WriteAsync(db => Insert(db, 1), force: false, CancellationToken.None);

        Assert.Equal(before, _flusher.Count);
        Assert.NotNull(sut.Database.GetCollection("c").FindById(1));
    }

    [Fact]
    public async Task ConcurrentForcedWrites_ShareFlushes()
    {
        using var sut = CreateSut();
        var before = _flusher.Count;
        using var gate = new ManualResetEventSlim(false);
        _flusher.Gate = gate;

        // The first write's flush is held while 199 more queue up; they must go out in far fewer flushes.
        var first = sut.WriteAsync(db => Insert(db, 0), force: true, CancellationToken.None);
        var rest = Enumerable.Range(1, 199).Select(i => sut.WriteAsync(db => Insert(db, i), force: true, CancellationToken.None)).ToList();
        gate.Set();
        await first;
        await Task.WhenAll(rest);

        var flushes = _flusher.Count - before;
        Assert.InRange(flushes, 1, 10);
        Assert.Equal(200, sut.Database.GetCollection("c").Count());
        Assert.Equal(200, _metrics.ForcedWrites);
    }

    [Fact]
    public async Task FailingFlush_FailsTheWrite_AndStopsTheStore()
    {
        using var sut = CreateSut();
        _flusher.Fail = _ => new IOException("disk on fire");

        var error = await Assert.ThrowsAsync<StorageFailedException>(() => sut.WriteAsync(db => Insert(db, 1), force: true, CancellationToken.None));

        Assert.IsType<IOException>(error.InnerException);
    }

    [Fact]
    public async Task ThrowingWrite_FailsOnlyItself_AndTheOthersOfItsBatchCommit()
    {
        using var sut = CreateSut();
        using var gate = new ManualResetEventSlim(false);
        _flusher.Gate = gate;
        var blocker = sut.WriteAsync(db => Insert(db, 100), force: true, CancellationToken.None);
        var good1 = sut.WriteAsync(db => Insert(db, 1), force: true, CancellationToken.None);
        var bad = sut.WriteAsync(db => Insert(db, 1), force: true, CancellationToken.None); // duplicate key
        var good2 = sut.WriteAsync(db => Insert(db, 2), force: true, CancellationToken.None);
        gate.Set();

        await blocker;
        await good1;
        await good2;
        await Assert.ThrowsAsync<LiteException>(() => bad);
        Assert.Equal(3, sut.Database.GetCollection("c").Count());
    }

    [Fact]
    public async Task ForcedWrites_SurviveReopen()
    {
        var path = _dir.File("store.db");
        using (var sut = CreateSut())
        {
            for (var i = 0; i < 50; i++) await sut.WriteAsync(db => Insert(db, i), force: true, CancellationToken.None);
        }

        using var reopened = new LiteDatabase(path);
        Assert.Equal(50, reopened.GetCollection("c").Count());
    }

    [Fact]
    public async Task Checkpoint_RunsBetweenBatches_AndFlushesTheDataFile()
    {
        using var sut = CreateSut(checkpointBytes: 64 * 1024);
        for (var i = 0; i < 40; i++) await sut.WriteAsync(db => Insert(db, i), force: true, CancellationToken.None);
        await sut.FlushAsync(CancellationToken.None);

        Assert.True(_metrics.Checkpoints > 0, "the log passed the checkpoint size; a checkpoint should have run");
        Assert.Contains(sut.DataPath, _flusher.Flushed);
        Assert.Equal(40, sut.Database.GetCollection("c").Count());
    }

    [Fact]
    public async Task WriteAfterDispose_Throws()
    {
        var sut = CreateSut();
        sut.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => sut.WriteAsync(db => Insert(db, 1), force: true, CancellationToken.None));
    }

    [Fact]
    public void Options_OutOfRange_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => new GroupCommitOptions { Path = "" }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new GroupCommitOptions { Path = "x", MaxBatchSize = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new GroupCommitOptions { Path = "x", CheckpointLogBytes = 10 }.Validate());
    }

    public void Dispose() => _dir.Dispose();
}

public sealed class LiteDbGroupCommitterOpenTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public void SecondCommitter_OnTheSameFile_IsRefused_WithAClearError()
    {
        var options = new GroupCommitOptions { Path = _dir.File("x.db") };
        using var first = new LiteDbGroupCommitter(options, new RecordingFileFlusher(), new DurabilityMetrics());

        var error = Assert.Throws<IOException>(() => new LiteDbGroupCommitter(options, new RecordingFileFlusher(), new DurabilityMetrics()));

        Assert.Contains("in use by another process", error.Message);
    }

    [Fact]
    public void CorruptFile_IsRefused_WithAClearError_AndLeftUnchanged()
    {
        var path = _dir.File("corrupt.db");
        var garbage = new byte[20_000];
        new Random(7).NextBytes(garbage);
        File.WriteAllBytes(path, garbage);

        var error = Assert.Throws<IOException>(() => new LiteDbGroupCommitter(new GroupCommitOptions { Path = path }, new RecordingFileFlusher(), new DurabilityMetrics()));

        Assert.Contains("cannot be opened", error.Message);
        Assert.Equal(garbage, File.ReadAllBytes(path));
    }

    [Fact]
    public void AfterDispose_TheFileCanBeOpenedAgain()
    {
        var options = new GroupCommitOptions { Path = _dir.File("y.db") };
        new LiteDbGroupCommitter(options, new RecordingFileFlusher(), new DurabilityMetrics()).Dispose();
        using var again = new LiteDbGroupCommitter(options, new RecordingFileFlusher(), new DurabilityMetrics());
        Assert.NotNull(again.Database);
    }

    public void Dispose() => _dir.Dispose();
}
