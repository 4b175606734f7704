using NSubstitute;
using NSubstitute.ExceptionExtensions;
using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Tests.Support;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Tests.Protocols.TwoPhase;

public sealed class TwoPhaseCommitProcessorTests : IDisposable
{
    private readonly EngineFixture _f = new();

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public async Task Commit_AllPrepared_ForcesTheDecisionBeforeAnyCommitIsSent(int branches)
    {
        var id = await _f.BeginWithBranchesAsync(branches);
        _f.AllVote(Vote.Prepared);
        var durableAtFirstCommit = new List<TransactionState?>();
        _f.Participants.CommitAsync(default!, default!, default).ReturnsForAnyArgs(_ =>
        {
            lock (durableAtFirstCommit) durableAtFirstCommit.Add(_f.Log.GetDurable(id)?.State);
            return Task.CompletedTask;
        });

        var result = await _f.Manager.CommitAsync(id, waitForCompletion: true, CancellationToken.None);

        Assert.True(result.Committed);
        Assert.Equal(branches, durableAtFirstCommit.Count);
        Assert.All(durableAtFirstCommit, s => Assert.Equal(TransactionState.Committing, s));
        var final = await _f.WaitFinishedAsync(id);
        Assert.Equal(TransactionState.Committed, final.State);
        Assert.All(final.Branches, b => Assert.Equal(BranchState.Committed, b.State));
        await _f.Participants.DidNotReceiveWithAnyArgs().AbortAsync(default!, default!, default);
    }

    [Fact]
    public async Task Commit_OneAbortVote_AbortsEveryPreparedBranch_AndNeverCommits()
    {
        var id = await _f.BeginWithBranchesAsync(3);
        _f.Participants.PrepareAsync(Arg.Is<BranchRecord>(b => b.BranchId == 2), id, false, Arg.Any<DateTimeOffset>(), Arg.Any<CancellationToken>())
            .Returns(new PrepareReply(Vote.Abort, "insufficient funds"));
        _f.Participants.PrepareAsync(Arg.Is<BranchRecord>(b => b.BranchId != 2), id, false, Arg.Any<DateTimeOffset>(), Arg.Any<CancellationToken>())
            .Returns(new PrepareReply(Vote.Prepared, null));

        var result = await _f.Manager.CommitAsync(id, waitForCompletion: true, CancellationToken.None);

        Assert.False(result.Committed);
        Assert.Contains("insufficient funds", result.Reason);
        await _f.WaitFinishedAsync(id);
        await _f.Participants.DidNotReceiveWithAnyArgs().CommitAsync(default!, default!, default);
        await _f.Participants.DidNotReceive().AbortAsync(Arg.Is<BranchRecord>(b => b.BranchId == 2), id, Arg.Any<CancellationToken>());
        Assert.Null(_f.Log.GetDurable(id)?.State.IsCommitDecided() == true ? "commit" : null);
    }

    [Fact]
    public async Task Commit_AllReadOnly_CommitsWithoutPhaseTwoOrForcedWrite()
    {
        var id = await _f.BeginWithBranchesAsync(2);
        _f.AllVote(Vote.ReadOnly);
        var flushes = _f.Log.Flushes;

        var result = await _f.Manager.CommitAsync(id, waitForCompletion: true, CancellationToken.None);

        Assert.True(result.Committed);
        Assert.Equal(flushes, _f.Log.Flushes);
        await _f.Participants.DidNotReceiveWithAnyArgs().CommitAsync(default!, default!, default);
        await _f.Participants.DidNotReceiveWithAnyArgs().AbortAsync(default!, default!, default);
    }

    [Fact]
    public async Task Commit_ReadOnlyAndPrepared_SendsCommitOnlyToThePrepared()
    {
        var id = await _f.BeginWithBranchesAsync(2);
        _f.Participants.PrepareAsync(Arg.Is<BranchRecord>(b => b.BranchId == 1), id, false, Arg.Any<DateTimeOffset>(), Arg.Any<CancellationToken>())
            .Returns(new PrepareReply(Vote.ReadOnly, null));
        _f.Participants.PrepareAsync(Arg.Is<BranchRecord>(b => b.BranchId == 2), id, false, Arg.Any<DateTimeOffset>(), Arg.Any<CancellationToken>())
            .Returns(new PrepareReply(Vote.Prepared, null));

        Assert.True((await _f.Manager.CommitAsync(id, true, CancellationToken.None)).Committed);

        await _f.Participants.Received(1).CommitAsync(Arg.Is<BranchRecord>(b => b.BranchId == 2), id, Arg.Any<CancellationToken>());
        await _f.Participants.DidNotReceive().CommitAsync(Arg.Is<BranchRecord>(b => b.BranchId == 1), id, Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Commit_SingleBranch_UsesOnePhase_WithNoDecisionRecord()
    {
        var id = await _f.BeginWithBranchesAsync(1);
        _f.AllVote(Vote.Prepared);
        var flushes = _f.Log.Flushes;

        var result = await _f.Manager.CommitAsync(id, true, CancellationToken.None);

        Assert.True(result.Committed);
        await _f.Participants.Received(1).PrepareAsync(Arg.Any<BranchRecord>(), id, true, Arg.Any<DateTimeOffset>(), Arg.Any<CancellationToken>());
        await _f.Participants.DidNotReceiveWithAnyArgs().CommitAsync(default!, default!, default);
        Assert.Equal(flushes, _f.Log.Flushes);
    }

    [Fact]
    public async Task Commit_SingleBranchAbortVote_IsAborted()
    {
        var id = await _f.BeginWithBranchesAsync(1);
        _f.AllVote(Vote.Abort);

        var result = await _f.Manager.CommitAsync(id, true, CancellationToken.None);

        Assert.False(result.Committed);
    }

    [Fact]
    public async Task Commit_BranchNeverAnswers_AbortsAtTheDeadline_AndSendsItAbort()
    {
        var id = await _f.BeginWithBranchesAsync(2, timeout: TimeSpan.FromMilliseconds(300));
        _f.Participants.PrepareAsync(Arg.Is<BranchRecord>(b => b.BranchId == 1), id, false, Arg.Any<DateTimeOffset>(), Arg.Any<CancellationToken>())
            .Returns(new PrepareReply(Vote.Prepared, null));
        _f.Participants.PrepareAsync(Arg.Is<BranchRecord>(b => b.BranchId == 2), id, false, Arg.Any<DateTimeOffset>(), Arg.Any<CancellationToken>())
            .ThrowsAsync(new ParticipantUnreachableException("connection refused"));

        var result = await _f.Manager.CommitAsync(id, true, CancellationToken.None);

        Assert.False(result.Committed);
        Assert.Contains("deadline", result.Reason);
        // Branch 2's vote is unknown: it may hold a durable yes, so it must hear Abort too.
        await _f.Participants.Received().AbortAsync(Arg.Is<BranchRecord>(b => b.BranchId == 2), id, Arg.Any<CancellationToken>());
        await _f.Participants.Received().AbortAsync(Arg.Is<BranchRecord>(b => b.BranchId == 1), id, Arg.Any<CancellationToken>());
        await _f.Participants.DidNotReceiveWithAnyArgs().CommitAsync(default!, default!, default);
    }

    [Fact]
    public async Task Commit_PrepareRetriesTransientErrors_ThenCommits()
    {
        var id = await _f.BeginWithBranchesAsync(2);
        var calls = 0;
        _f.Participants.PrepareAsync(default!, default!, default, default, default).ReturnsForAnyArgs(_ =>
            Interlocked.Increment(ref calls) <= 2 ? throw new ParticipantUnreachableException("blip") : Task.FromResult(new PrepareReply(Vote.Prepared, null)));

        Assert.True((await _f.Manager.CommitAsync(id, true, CancellationToken.None)).Committed);
        Assert.Equal(4, calls);
    }

    [Fact]
    public async Task PhaseTwo_RetriesUntilAcknowledged()
    {
        var id = await _f.BeginWithBranchesAsync(2);
        _f.AllVote(Vote.Prepared);
        var attempts = 0;
        _f.Participants.CommitAsync(Arg.Is<BranchRecord>(b => b.BranchId == 1), id, Arg.Any<CancellationToken>()).Returns(_ =>
            Interlocked.Increment(ref attempts) < 4 ? throw new ParticipantUnreachableException("down") : Task.CompletedTask);

        await _f.Manager.CommitAsync(id, false, CancellationToken.None);
        var final = await _f.WaitFinishedAsync(id);

        Assert.Equal(4, attempts);
        Assert.Equal(TransactionState.Committed, final.State);
    }

    [Fact]
    public async Task DecisionWriteFailsBeforeReachingDisk_ClientHearsInDoubt_ThenTheDecisionIsRewrittenAndCommitted()
    {
        var id = await _f.BeginWithBranchesAsync(2);
        _f.AllVote(Vote.Prepared);
        var failed = 0;
        _f.Log.FailBeforeWrite = r => r.State == TransactionState.Committing && Interlocked.Exchange(ref failed, 1) == 0;

        // The client hears "in doubt" — or, if the rewrite won the race with the answer, the outcome.
        var answer = await Record.ExceptionAsync(async () => Assert.True((await _f.Manager.CommitAsync(id, false, CancellationToken.None)).Committed));
        if (answer is not null) Assert.IsType<TransactionInDoubtException>(answer);
        var final = await _f.WaitFinishedAsync(id);

        Assert.Equal(TransactionState.Committed, final.State);
        await _f.Participants.Received(2).CommitAsync(Arg.Any<BranchRecord>(), id, Arg.Any<CancellationToken>());
        await _f.Participants.DidNotReceiveWithAnyArgs().AbortAsync(default!, default!, default);
    }

    [Fact]
    public async Task DecisionWriteFailsAfterReachingDisk_ResolvedFromTheLog_AsCommit()
    {
        var id = await _f.BeginWithBranchesAsync(2);
        _f.AllVote(Vote.Prepared);
        _f.Log.FailAfterWrite = r => r.State == TransactionState.Committing;

        _f.Participants.CommitAsync(default!, default!, default).ReturnsForAnyArgs(_ =>
        {
            _f.Log.FailAfterWrite = null;
            return Task.CompletedTask;
        });
        // The client hears "in doubt" — or, if resolution from the log won the race with the answer, "committed".
        var answer = await Record.ExceptionAsync(async () => Assert.True((await _f.Manager.CommitAsync(id, false, CancellationToken.None)).Committed));
        if (answer is not null) Assert.IsType<TransactionInDoubtException>(answer);
        _f.Log.FailAfterWrite = null;
        var final = await _f.WaitFinishedAsync(id);

        Assert.Equal(TransactionState.Committed, final.State);
        await _f.Participants.Received(2).CommitAsync(Arg.Any<BranchRecord>(), id, Arg.Any<CancellationToken>());
        await _f.Participants.DidNotReceiveWithAnyArgs().AbortAsync(default!, default!, default);
    }

    [Fact]
    public async Task DuplicateCommit_ReturnsTheSameOutcome_WithoutPreparingAgain()
    {
        var id = await _f.BeginWithBranchesAsync(2);
        _f.AllVote(Vote.Prepared);

        var first = await _f.Manager.CommitAsync(id, true, CancellationToken.None);
        var second = await _f.Manager.CommitAsync(id, false, CancellationToken.None);

        Assert.True(first.Committed);
        Assert.True(second.Committed);
        await _f.Participants.Received(2).PrepareAsync(Arg.Any<BranchRecord>(), id, false, Arg.Any<DateTimeOffset>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Abort_AfterCommit_IsAConflict_AndChangesNothing()
    {
        var id = await _f.BeginWithBranchesAsync(2);
        _f.AllVote(Vote.Prepared);
        await _f.Manager.CommitAsync(id, true, CancellationToken.None);

        await Assert.ThrowsAsync<TransactionStateConflictException>(() => _f.Manager.AbortAsync(id, "oops", CancellationToken.None));

        Assert.Equal(TransactionState.Committed, (await _f.Manager.GetAsync(id, CancellationToken.None)).State);
    }

    [Fact]
    public async Task Enlist_AfterCommitStarted_IsAConflict()
    {
        var id = await _f.BeginWithBranchesAsync(2);
        var release = new TaskCompletionSource<PrepareReply>();
        _f.Participants.PrepareAsync(default!, default!, default, default, default).ReturnsForAnyArgs(release.Task);
        var commit = _f.Manager.CommitAsync(id, false, CancellationToken.None);

        await Assert.ThrowsAsync<TransactionStateConflictException>(() => _f.Manager.EnlistAsync(id, "http://127.0.0.1:9", "late", [], null, CancellationToken.None));

        release.SetResult(new PrepareReply(Vote.Prepared, null));
        Assert.True((await commit).Committed);
        Assert.Equal(2, (await _f.Manager.GetAsync(id, CancellationToken.None)).Branches.Count);
    }

    [Fact]
    public async Task ClientAbort_WhilePreparing_WinsOverLateYesVotes()
    {
        var id = await _f.BeginWithBranchesAsync(2);
        var release = new TaskCompletionSource<PrepareReply>();
        _f.Participants.PrepareAsync(default!, default!, default, default, default).ReturnsForAnyArgs(release.Task);
        var commit = _f.Manager.CommitAsync(id, false, CancellationToken.None);
        await WaitUntil(() => _f.Participants.ReceivedCalls().Count() >= 2);

        var abort = await _f.Manager.AbortAsync(id, "user cancelled", CancellationToken.None);
        release.SetResult(new PrepareReply(Vote.Prepared, null));

        Assert.False(abort.Committed);
        Assert.False((await commit).Committed);
        await _f.WaitFinishedAsync(id);
        await _f.Participants.DidNotReceiveWithAnyArgs().CommitAsync(default!, default!, default);
    }

    [Fact]
    public async Task ResolveInDoubt_UnknownId_IsPresumedAborted()
    {
        var (record, presumed, pending) = await _f.Manager.ResolveInDoubtAsync(TransactionManager.NewId(), CancellationToken.None);

        Assert.True(presumed);
        Assert.False(pending);
        Assert.Equal(TransactionState.Aborted, record.State);
    }

    [Fact]
    public async Task ResolveInDoubt_WhilePreparing_IsPending()
    {
        var id = await _f.BeginWithBranchesAsync(2);
        var release = new TaskCompletionSource<PrepareReply>();
        _f.Participants.PrepareAsync(default!, default!, default, default, default).ReturnsForAnyArgs(release.Task);
        var commit = _f.Manager.CommitAsync(id, false, CancellationToken.None);
        await WaitUntil(() => _f.Participants.ReceivedCalls().Count() >= 2);

        var (_, presumed, pending) = await _f.Manager.ResolveInDoubtAsync(id, CancellationToken.None);

        Assert.False(presumed);
        Assert.True(pending);
        release.SetResult(new PrepareReply(Vote.Prepared, null));
        await commit;
    }

    [Fact]
    public async Task Recovery_CommittingRecord_DeliversCommitToPreparedBranches()
    {
        var record = new TransactionRecord
        {
            Id = TransactionManager.NewId(),
            Mode = TransactionMode.TwoPhase,
            State = TransactionState.Committing,
            CreatedAt = DateTimeOffset.UtcNow,
            Deadline = DateTimeOffset.UtcNow.AddSeconds(10),
            Branches =
            [
                new BranchRecord { BranchId = 1, ParticipantAddress = "http://127.0.0.1:1", Resource = "a", Vote = Vote.Prepared, State = BranchState.Prepared, PrepareSent = true },
                new BranchRecord { BranchId = 2, ParticipantAddress = "http://127.0.0.1:2", Resource = "b", Vote = Vote.ReadOnly, State = BranchState.ReadOnly, PrepareSent = true },
            ],
        };
        await _f.Log.SaveAsync(record, WriteDurability.Forced, CancellationToken.None);

        Assert.Equal(1, await _f.Manager.RecoverAsync(CancellationToken.None));
        var final = await _f.WaitFinishedAsync(record.Id);

        Assert.Equal(TransactionState.Committed, final.State);
        await _f.Participants.Received(1).CommitAsync(Arg.Is<BranchRecord>(b => b.BranchId == 1), record.Id, Arg.Any<CancellationToken>());
        await _f.Participants.DidNotReceive().CommitAsync(Arg.Is<BranchRecord>(b => b.BranchId == 2), record.Id, Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Recovery_UndecidedRecord_Aborts()
    {
        var record = new TransactionRecord
        {
            Id = TransactionManager.NewId(),
            Mode = TransactionMode.TwoPhase,
            State = TransactionState.Preparing,
            Branches = [new BranchRecord { BranchId = 1, ParticipantAddress = "http://127.0.0.1:1", Resource = "a", PrepareSent = true }],
        };
        await _f.Log.SaveAsync(record, WriteDurability.Forced, CancellationToken.None);

        await _f.Manager.RecoverAsync(CancellationToken.None);
        var final = await _f.WaitFinishedAsync(record.Id);

        Assert.Equal(TransactionState.Aborted, final.State);
        await _f.Participants.Received(1).AbortAsync(Arg.Any<BranchRecord>(), record.Id, Arg.Any<CancellationToken>());
        await _f.Participants.DidNotReceiveWithAnyArgs().CommitAsync(default!, default!, default);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition()) await Task.Delay(1, cts.Token);
    }

    public void Dispose() => _f.Dispose();
}
