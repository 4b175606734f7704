using System.Collections.Concurrent;
using NSubstitute;
using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Tests.Support;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Tests.Protocols.TwoPhase;

/// <summary>Once phase 1 has decided, the Prepare calls still running are cancelled, and a fault of one is logged.</summary>
public sealed class AbandonedPrepareTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly EngineFixture _f = new();
    private readonly ConcurrentDictionary<int, CancellationToken> _tokens = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource> _entered = new();

    [Fact]
    public async Task Commit_FirstBranchVotesAbort_CancelsThePrepareCallsStillRunning()
    {
        var id = await _f.BeginWithBranchesAsync(3, timeout: TimeSpan.FromMinutes(1));
        AnswerPrepare(branchId => branchId == 1 ? new PrepareReply(Vote.Abort, "no funds") : null);

        var result = await _f.Manager.CommitAsync(id, waitForCompletion: false, CancellationToken.None).WaitAsync(Bound);

        Assert.False(result.Committed);
        Assert.Contains("no funds", result.Reason);
        Assert.True(_tokens[2].IsCancellationRequested, "branch 2's Prepare was left running");
        Assert.True(_tokens[3].IsCancellationRequested, "branch 3's Prepare was left running");
        await _f.WaitFinishedAsync(id);
        // Abandoned branches may hold a durable yes: they still hear Abort.
        await _f.Participants.Received().AbortAsync(Arg.Is<BranchRecord>(b => b.BranchId == 2), id, Arg.Any<CancellationToken>());
        await _f.Participants.Received().AbortAsync(Arg.Is<BranchRecord>(b => b.BranchId == 3), id, Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Commit_ClientAbortsWhilePreparing_CancelsThePrepareCallsAndAnswersAborted()
    {
        var id = await _f.BeginWithBranchesAsync(2, timeout: TimeSpan.FromMinutes(1));
        AnswerPrepare(_ => null);

        var commit = _f.Manager.CommitAsync(id, waitForCompletion: false, CancellationToken.None);
        await Task.WhenAll(Entered(1).Task, Entered(2).Task).WaitAsync(Bound);
        await _f.Manager.AbortAsync(id, "operator", CancellationToken.None);
        var result = await commit.WaitAsync(Bound);

        Assert.False(result.Committed);
        Assert.Contains("operator", result.Reason);
        Assert.True(_tokens[1].IsCancellationRequested, "branch 1's Prepare was left running");
        Assert.True(_tokens[2].IsCancellationRequested, "branch 2's Prepare was left running");
    }

    [Fact]
    public async Task Commit_AbandonedPrepareFaults_TheFaultIsLoggedWithTheTransaction()
    {
        var id = await _f.BeginWithBranchesAsync(2, timeout: TimeSpan.FromMinutes(1));
        var faulted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _f.Participants.PrepareAsync(default!, default!, default, default, default).ReturnsForAnyArgs(async ci =>
        {
            var branch = ci.Arg<BranchRecord>();
            if (branch.BranchId == 1) return new PrepareReply(Vote.Abort, "no");
            try
            {
                await Task.Delay(Timeout.Infinite, ci.Arg<CancellationToken>());
            }
            catch (OperationCanceledException)
            {
            }

            faulted.TrySetResult();
            throw new InvalidOperationException("client bug after cancellation");
        });

        await _f.Manager.CommitAsync(id, waitForCompletion: false, CancellationToken.None).WaitAsync(Bound);
        await faulted.Task.WaitAsync(Bound);

        using var timeout = new CancellationTokenSource(Bound);
        while (_f.Logger.Named("AbandonedPrepareFailed").Count == 0) await Task.Delay(5, timeout.Token);
        var logged = Assert.Single(_f.Logger.Named("AbandonedPrepareFailed"));
        Assert.Equal(id, logged.TransactionId);
        Assert.IsType<InvalidOperationException>(logged.Exception);
    }

    /// <summary>
    /// Prepare answers <paramref name="answer"/>(branch id) at once when it is not null; otherwise the call runs until
    /// its token is cancelled. Every call's token is kept.
    /// </summary>
    private void AnswerPrepare(Func<int, PrepareReply?> answer) =>
        _f.Participants.PrepareAsync(default!, default!, default, default, default).ReturnsForAnyArgs(async ci =>
        {
            var branchId = ci.Arg<BranchRecord>().BranchId;
            var token = ci.Arg<CancellationToken>();
            _tokens[branchId] = token;
            Entered(branchId).TrySetResult();
            if (answer(branchId) is { } reply) return reply;
            await Task.Delay(Timeout.Infinite, token);
            throw new InvalidOperationException("unreachable");
        });

    private TaskCompletionSource Entered(int branchId) =>
        _entered.GetOrAdd(branchId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Dispose() => _f.Dispose();
}
