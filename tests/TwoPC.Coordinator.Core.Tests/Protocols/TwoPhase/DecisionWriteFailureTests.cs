using NSubstitute;
using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Storage.InMemory;
using TwoPC.Coordinator.Tests.Support;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Tests.Protocols.TwoPhase;

/// <summary>
/// The forced COMMITTING write fails: the client hears "in doubt" and the coordinator must not deliver Commit until
/// the decision is really on disk. A flush that succeeds after a failed one proves nothing (the lying disk), so the
/// decision is written again, forced, until a write succeeds.
/// </summary>
public sealed class DecisionWriteFailureTests : IDisposable
{
    private readonly EngineFixture _f = new();

    /// <summary>Records, at every Commit sent, what the disk holds for the transaction.</summary>
    private List<TransactionState?> RecordDurableStateAtEachCommit(string id)
    {
        var durable = new List<TransactionState?>();
        _f.Participants.CommitAsync(default!, default!, default).ReturnsForAnyArgs(_ =>
        {
            lock (durable) durable.Add(_f.Log.GetDurable(id)?.State);
            return Task.CompletedTask;
        });
        return durable;
    }

    private static Func<TransactionRecord, bool> Once(Func<TransactionRecord, bool> match)
    {
        var fired = 0;
        return r => match(r) && Interlocked.Exchange(ref fired, 1) == 0;
    }

    [Fact]
    public async Task DecisionFlushFailsOnceAndTheDiskDropsIt_CommitIsSentOnlyAfterTheDecisionIsOnDisk()
    {
        var id = await _f.BeginWithBranchesAsync(2);
        _f.AllVote(Vote.Prepared);
        var durableAtCommit = RecordDurableStateAtEachCommit(id);
        // fdatasync fails once: the COMMITTING record stays readable but is marked clean; the next flush "succeeds".
        _f.Log.FailFlush = Once(r => r.Id == id && r.State == TransactionState.Committing);

        var answer = await Record.ExceptionAsync(async () => Assert.True((await _f.Manager.CommitAsync(id, false, CancellationToken.None)).Committed));
        if (answer is not null) Assert.IsType<TransactionInDoubtException>(answer);
        var final = await _f.WaitFinishedAsync(id);

        Assert.Equal(TransactionState.Committed, final.State);
        Assert.Equal(2, durableAtCommit.Count);
        Assert.All(durableAtCommit, s => Assert.Equal(TransactionState.Committing, s));
        await _f.Participants.DidNotReceiveWithAnyArgs().AbortAsync(default!, default!, default);
    }

    [Fact]
    public async Task DecisionWriteKeepsFailing_NoCommitAndNoAbortIsSent_AndTheDecisionIsRetried()
    {
        var id = await _f.BeginWithBranchesAsync(2);
        _f.AllVote(Vote.Prepared);
        var attempts = 0;
        _f.Log.FailBeforeWrite = r => r.Id == id && r.State == TransactionState.Committing && Interlocked.Increment(ref attempts) > 0;

        var answer = await Record.ExceptionAsync(() => _f.Manager.CommitAsync(id, false, CancellationToken.None));
        Assert.IsType<TransactionInDoubtException>(answer);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (Volatile.Read(ref attempts) < 5) await Task.Delay(1, timeout.Token);

        // Nobody has heard anything but "in doubt"; the branches stay prepared until a decision is durable.
        await _f.Participants.DidNotReceiveWithAnyArgs().CommitAsync(default!, default!, default);
        await _f.Participants.DidNotReceiveWithAnyArgs().AbortAsync(default!, default!, default);
        Assert.NotEqual(TransactionState.Committing, _f.Log.GetDurable(id)?.State);
    }

    [Fact]
    public async Task LyingDisk_AcknowledgedButUnwrittenSave_IsReadBack_ButLostOnCrash()
    {
        var log = new InMemoryTransactionLog { AcknowledgeUnwritten = r => r.State == TransactionState.Committing };
        var record = new TransactionRecord { Id = TransactionManager.NewId(), State = TransactionState.Committing };

        await log.SaveAsync(record, WriteDurability.Forced, CancellationToken.None);
        Assert.Equal(TransactionState.Committing, (await log.GetAsync(record.Id, CancellationToken.None))!.State);
        await log.FlushAsync(CancellationToken.None);
        log.Crash();

        Assert.Null(await log.GetAsync(record.Id, CancellationToken.None));
    }

    [Fact]
    public async Task LyingDisk_FailedFlush_LaterFlushSucceedsWithoutTheData_ARewriteMakesItDurable()
    {
        var log = new InMemoryTransactionLog();
        var record = new TransactionRecord { Id = TransactionManager.NewId(), State = TransactionState.Committing };
        log.FailFlush = Once(_ => true);

        await Assert.ThrowsAsync<IOException>(() => log.SaveAsync(record, WriteDurability.Forced, CancellationToken.None));
        await log.FlushAsync(CancellationToken.None);
        Assert.NotNull(await log.GetAsync(record.Id, CancellationToken.None));
        Assert.Null(log.GetDurable(record.Id));

        await log.SaveAsync(record, WriteDurability.Forced, CancellationToken.None);
        log.Crash();
        Assert.Equal(TransactionState.Committing, (await log.GetAsync(record.Id, CancellationToken.None))!.State);
    }

    public void Dispose() => _f.Dispose();
}
