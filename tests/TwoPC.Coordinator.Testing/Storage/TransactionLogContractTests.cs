using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Tests.Storage;

/// <summary>
/// The durability contract of <see cref="ITransactionLog"/>, run against every implementation
/// (Orleans' TransactionalStateStorageTestRunner style).
/// </summary>
public abstract class TransactionLogContractTests
{
    /// <summary>A log over a fresh, empty store.</summary>
    protected abstract ITransactionLog CreateLog();

    /// <summary>
    /// Simulates a crash of the process holding <paramref name="log"/> and returns a log over the same store:
    /// everything forced or flushed must be there.
    /// </summary>
    protected abstract ITransactionLog CrashAndReopen(ITransactionLog log);

    private static TransactionRecord Record(string? id = null, TransactionState state = TransactionState.Committing) => new()
    {
        Id = id ?? TransactionManager.NewId(),
        Mode = TransactionMode.TwoPhase,
        State = state,
        CreatedAt = DateTimeOffset.UtcNow,
        Deadline = DateTimeOffset.UtcNow.AddSeconds(30),
        DecidedAt = DateTimeOffset.UtcNow,
        Branches =
        [
            new BranchRecord { BranchId = 1, ParticipantAddress = "http://127.0.0.1:1", Resource = "a", State = BranchState.Prepared, Vote = Vote.Prepared, PrepareSent = true },
            new BranchRecord { BranchId = 2, ParticipantAddress = "http://127.0.0.1:2", Resource = "b", State = BranchState.Prepared, Vote = Vote.Prepared, PrepareSent = true, Reason = "r" },
        ],
    };

    [Fact]
    public async Task ForcedSave_SurvivesACrash_WithEveryField()
    {
        var log = CreateLog();
        var record = Record();
        record.Steps.Add(new SagaStepRecord { Name = "s", Group = 2, Optional = true, ParticipantAddress = "http://x:1", Resource = "h", ActionPayload = [1, 2], CompensationPayload = [3], State = BranchState.StepSucceeded, Attempts = 2, Result = [9] });
        record.AmendedBy.Add("other");
        record.RollbackReason = "step 's' failed";

        await log.SaveAsync(record, WriteDurability.Forced, CancellationToken.None);
        var reopened = CrashAndReopen(log);
        var loaded = await reopened.GetAsync(record.Id, CancellationToken.None);

        Assert.NotNull(loaded);
        Assert.Equal(TransactionState.Committing, loaded.State);
        Assert.Equal(record.DecidedAt!.Value.UtcTicks, loaded.DecidedAt!.Value.UtcTicks);
        Assert.Equal(["a", "b"], loaded.Branches.Select(b => b.Resource));
        Assert.All(loaded.Branches, b => Assert.Equal(Vote.Prepared, b.Vote));
        Assert.Equal("r", loaded.Branches[1].Reason);
        var step = Assert.Single(loaded.Steps);
        Assert.Equal((2, true, BranchState.StepSucceeded, 2), (step.Group, step.Optional, step.State, step.Attempts));
        Assert.Equal([3], step.CompensationPayload!);
        Assert.Equal(["other"], loaded.AmendedBy);
        Assert.Equal("step 's' failed", loaded.RollbackReason);
    }

    [Fact]
    public async Task BranchAttempts_AreStored_AndKeptOnceTheTransactionFinished()
    {
        var log = CreateLog();
        var record = Record(state: TransactionState.Committed);
        record.CompletedAt = DateTimeOffset.UtcNow;
        record.Branches[0].Attempts = 1;
        record.Branches[1].Attempts = 4;

        await log.SaveAsync(record, WriteDurability.Forced, CancellationToken.None);
        var loaded = await CrashAndReopen(log).GetAsync(record.Id, CancellationToken.None);

        Assert.Equal([1, 4], loaded!.Branches.Select(b => b.Attempts));
    }

    [Fact]
    public async Task LazySave_IsDurableAfterALaterForcedSave()
    {
        var log = CreateLog();
        var lazy = Record();
        await log.SaveAsync(lazy, WriteDurability.Lazy, CancellationToken.None);
        await log.SaveAsync(Record(), WriteDurability.Forced, CancellationToken.None);

        var reopened = CrashAndReopen(log);

        Assert.NotNull(await reopened.GetAsync(lazy.Id, CancellationToken.None));
    }

    [Fact]
    public async Task LazySave_IsDurableAfterFlush()
    {
        var log = CreateLog();
        var lazy = Record();
        await log.SaveAsync(lazy, WriteDurability.Lazy, CancellationToken.None);
        await log.FlushAsync(CancellationToken.None);

        var reopened = CrashAndReopen(log);

        Assert.NotNull(await reopened.GetAsync(lazy.Id, CancellationToken.None));
    }

    [Fact]
    public async Task LaterSave_ReplacesEarlier_AndIsReadBack()
    {
        var log = CreateLog();
        var record = Record();
        await log.SaveAsync(record, WriteDurability.Forced, CancellationToken.None);
        record.State = TransactionState.Committed;
        record.CompletedAt = DateTimeOffset.UtcNow;
        await log.SaveAsync(record, WriteDurability.Lazy, CancellationToken.None);

        var loaded = await log.GetAsync(record.Id, CancellationToken.None);

        Assert.Equal(TransactionState.Committed, loaded!.State);
    }

    [Fact]
    public async Task LoadUnfinished_ReturnsOnlyUnfinished()
    {
        var log = CreateLog();
        var committing = Record(state: TransactionState.Committing);
        var aborting = Record(state: TransactionState.Aborting);
        var done = Record(state: TransactionState.Committed);
        var saga = Record(state: TransactionState.SagaCompensating);
        foreach (var r in new[] { committing, aborting, done, saga }) await log.SaveAsync(r, WriteDurability.Forced, CancellationToken.None);

        var unfinished = await CrashAndReopen(log).LoadUnfinishedAsync(CancellationToken.None);

        Assert.Equal(new[] { committing.Id, aborting.Id, saga.Id }.Order(), unfinished.Select(r => r.Id).Order());
    }

    [Fact]
    public async Task IdempotencyKey_FindsItsRecord_AfterACrash()
    {
        var log = CreateLog();
        var keyed = Record(state: TransactionState.SagaCompleted);
        keyed.IdempotencyKey = "order-42";
        await log.SaveAsync(keyed, WriteDurability.Forced, CancellationToken.None);
        await log.SaveAsync(Record(), WriteDurability.Forced, CancellationToken.None);

        var reopened = CrashAndReopen(log);

        Assert.Equal(keyed.Id, (await reopened.FindByIdempotencyKeyAsync("order-42", CancellationToken.None))?.Id);
        Assert.Null(await reopened.FindByIdempotencyKeyAsync("order-43", CancellationToken.None));
    }

    [Fact]
    public async Task LoadUnfinished_ForgetsATransactionOnceItsFinishedStateIsSaved()
    {
        var log = CreateLog();
        var record = Record(state: TransactionState.Committing);
        await log.SaveAsync(record, WriteDurability.Forced, CancellationToken.None);
        Assert.Contains(record.Id, (await log.LoadUnfinishedAsync(CancellationToken.None)).Select(r => r.Id));

        record.State = TransactionState.Committed;
        record.CompletedAt = DateTimeOffset.UtcNow;
        await log.SaveAsync(record, WriteDurability.Forced, CancellationToken.None);

        Assert.DoesNotContain(record.Id, (await CrashAndReopen(log).LoadUnfinishedAsync(CancellationToken.None)).Select(r => r.Id));
    }

    [Fact]
    public async Task LogId_IsCreatedWithTheLog_SurvivesReopen_AndDiffersBetweenLogs()
    {
        var log = CreateLog();
        var id = log.LogId;
        await log.SaveAsync(Record(), WriteDurability.Forced, CancellationToken.None);

        var reopened = CrashAndReopen(log);

        Assert.False(string.IsNullOrWhiteSpace(id));
        Assert.Equal(id, reopened.LogId);
        Assert.NotEqual(id, CreateLog().LogId);
    }

    [Fact]
    public async Task Get_UnknownId_ReturnsNull()
    {
        Assert.Null(await CreateLog().GetAsync(TransactionManager.NewId(), CancellationToken.None));
    }

    [Fact]
    public async Task List_FiltersByState_AndPagesNewestFirst()
    {
        var log = CreateLog();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var r = Record(state: i % 2 == 0 ? TransactionState.Committed : TransactionState.Aborted);
            ids.Add(r.Id);
            await log.SaveAsync(r, WriteDurability.Forced, CancellationToken.None);
        }

        var first = await log.ListAsync([TransactionState.Committed], null, 2, CancellationToken.None);
        var second = await log.ListAsync([TransactionState.Committed], first[^1].Id, 2, CancellationToken.None);

        Assert.Equal([ids[4], ids[2]], first.Select(r => r.Id));
        Assert.Equal([ids[0]], second.Select(r => r.Id));
    }

    [Fact]
    public async Task ForgetFinished_DeletesOnlyOldFinished()
    {
        var log = CreateLog();
        var old = Record(TransactionIds.At(DateTimeOffset.UtcNow.AddHours(-3)), TransactionState.Committed);
        old.CompletedAt = DateTimeOffset.UtcNow.AddHours(-2);
        var recent = Record(state: TransactionState.Committed);
        recent.CompletedAt = DateTimeOffset.UtcNow;
        var open = Record(state: TransactionState.Committing);
        foreach (var r in new[] { old, recent, open }) await log.SaveAsync(r, WriteDurability.Forced, CancellationToken.None);

        var forgotten = await log.ForgetFinishedAsync(DateTimeOffset.UtcNow.AddHours(-1), 100, CancellationToken.None);

        Assert.Equal(1, forgotten);
        Assert.Null(await log.GetAsync(old.Id, CancellationToken.None));
        Assert.NotNull(await log.GetAsync(recent.Id, CancellationToken.None));
        Assert.NotNull(await log.GetAsync(open.Id, CancellationToken.None));
    }

    [Fact]
    public async Task ForgetFinished_NeverForgetsAParkedSaga_AndKeepsItListedAndUnfinished()
    {
        var log = CreateLog();
        var parked = Record(TransactionIds.At(DateTimeOffset.UtcNow.AddHours(-3)), TransactionState.SagaNeedsAttention);
        parked.Mode = TransactionMode.Saga;
        parked.CompletedAt = DateTimeOffset.UtcNow.AddHours(-2);
        var compensated = Record(TransactionIds.At(DateTimeOffset.UtcNow.AddHours(-3)), TransactionState.SagaCompensated);
        compensated.Mode = TransactionMode.Saga;
        compensated.CompletedAt = DateTimeOffset.UtcNow.AddHours(-2);
        foreach (var r in new[] { parked, compensated }) await log.SaveAsync(r, WriteDurability.Forced, CancellationToken.None);

        var forgotten = await log.ForgetFinishedAsync(DateTimeOffset.UtcNow.AddHours(-1), 100, CancellationToken.None);
        var reopened = CrashAndReopen(log);

        Assert.Equal(1, forgotten);
        Assert.Null(await reopened.GetAsync(compensated.Id, CancellationToken.None));
        Assert.Equal(TransactionState.SagaNeedsAttention, (await reopened.GetAsync(parked.Id, CancellationToken.None))?.State);
        Assert.Equal([parked.Id], (await reopened.ListAsync([TransactionState.SagaNeedsAttention], null, 10, CancellationToken.None)).Select(r => r.Id));
        Assert.Contains(parked.Id, (await reopened.LoadUnfinishedAsync(CancellationToken.None)).Select(r => r.Id));
    }

    [Fact]
    public async Task ParkedSaga_ThatResumesAndEndsCompensated_IsForgettable()
    {
        var log = CreateLog();
        var saga = Record(TransactionIds.At(DateTimeOffset.UtcNow.AddHours(-3)), TransactionState.SagaNeedsAttention);
        saga.Mode = TransactionMode.Saga;
        saga.CompletedAt = DateTimeOffset.UtcNow.AddHours(-2);
        await log.SaveAsync(saga, WriteDurability.Forced, CancellationToken.None);
        saga.State = TransactionState.SagaCompensated;
        await log.SaveAsync(saga, WriteDurability.Forced, CancellationToken.None);

        var forgotten = await log.ForgetFinishedAsync(DateTimeOffset.UtcNow.AddHours(-1), 100, CancellationToken.None);

        Assert.Equal(1, forgotten);
        Assert.DoesNotContain(saga.Id, (await CrashAndReopen(log).LoadUnfinishedAsync(CancellationToken.None)).Select(r => r.Id));
    }
}
