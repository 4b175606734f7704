using NSubstitute;
using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Recovery;
using TwoPC.Coordinator.Tests.Support;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Tests.Recovery;

/// <summary>
/// The hosted service's StopAsync (what the host runs before it disposes the decision log) cancels every running
/// driver and waits for it, bounded by the host's shutdown token.
/// </summary>
public sealed class RecoveryShutdownTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly EngineFixture _f = new();

    [Fact]
    public async Task StopAsync_DriverInPhase2RetryLoop_IsCancelledAndHasEndedWhenStopReturns()
    {
        var (id, blocked) = await CommitWithPhase2Stuck(honourCancellation: true);
        var sut = CreateSut();

        await sut.StopAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.True(blocked.Task.IsCompleted, "StopAsync returned while the driver's Commit call was still running");
        Assert.Equal(0, _f.Engine.RunningWork);
        var stopped = Assert.Single(_f.Logger.Named("DriverStopped"));
        Assert.Equal(id, stopped.TransactionId);
        Assert.Empty(_f.Logger.Named("DriverFailed"));
        // Still COMMITTING in the log: recovery finishes phase 2 after the restart.
        Assert.Equal(TransactionState.Committing, _f.Log.GetDurable(id)?.State);
    }

    [Fact]
    public async Task StopAsync_DriverIgnoresCancellation_ReturnsWhenTheHostGivesUp_AndLogsTheDriver()
    {
        var (id, _) = await CommitWithPhase2Stuck(honourCancellation: false);
        var sut = CreateSut();
        using var hostGivesUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await sut.StopAsync(hostGivesUp.Token).WaitAsync(Bound);

        var notStopped = Assert.Single(_f.Logger.Named("DriverNotStopped"));
        Assert.Equal(id, notStopped.TransactionId);
    }

    private RecoveryHostedService CreateSut() => new(_f.Manager, _f.Engine, [_f.TwoPhase]);

    /// <summary>
    /// Commits a two-branch transaction whose phase 2 fails twice (unreachable) and then blocks in its third Commit
    /// call. Returns once that call is running; the returned source completes when the call returns. The blocked call
    /// returns a moment after its token is cancelled (as a real RPC does), or, without
    /// <paramref name="honourCancellation"/>, only when the test ends.
    /// </summary>
    private async Task<(string Id, TaskCompletionSource Returned)> CommitWithPhase2Stuck(bool honourCancellation)
    {
        var id = await _f.BeginWithBranchesAsync(1);
        await _f.Manager.EnlistAsync(id, "http://127.0.0.1:5002", "r2", [2], null, CancellationToken.None);
        _f.AllVote(Vote.Prepared);
        var calls = 0;
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var returned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _f.Participants.CommitAsync(Arg.Is<BranchRecord>(b => b.BranchId == 2), id, Arg.Any<CancellationToken>()).Returns(async ci =>
        {
            if (Interlocked.Increment(ref calls) < 3) throw new ParticipantUnreachableException("connection refused");
            entered.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, honourCancellation ? ci.Arg<CancellationToken>() : _release.Token);
            }
            catch (OperationCanceledException)
            {
                // Tearing down a cancelled call takes a moment.
                await Task.Delay(50, CancellationToken.None);
            }
            finally
            {
                returned.TrySetResult();
            }

            throw new ParticipantUnreachableException("cancelled");
        });

        var result = await _f.Manager.CommitAsync(id, waitForCompletion: false, CancellationToken.None);
        Assert.True(result.Committed);
        await entered.Task.WaitAsync(Bound);
        return (id, returned);
    }

    private readonly CancellationTokenSource _release = new();

    public void Dispose()
    {
        _release.Cancel();
        _release.Dispose();
        _f.Dispose();
    }
}
