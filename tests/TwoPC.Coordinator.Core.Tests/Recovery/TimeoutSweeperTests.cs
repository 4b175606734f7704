using Microsoft.Extensions.Time.Testing;
using TwoPC.Coordinator.Recovery;
using TwoPC.Coordinator.Tests.Support;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Tests.Recovery;

public sealed class TimeoutSweeperTests
{
    [Fact]
    public async Task Sweeper_AfterForgetThrows_KeepsAbortingExpiredTransactions()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var f = new EngineFixture(time: time);
        var forgetCalls = 0;
        f.Log.FailForget = () =>
        {
            Interlocked.Increment(ref forgetCalls);
            return true;
        };
        using var sweeper = new TimeoutSweeper(f.Manager, f.Engine);
        await sweeper.StartAsync(CancellationToken.None);

        await AdvanceUntilAsync(time, () => Volatile.Read(ref forgetCalls) >= 2); // forget ran (and threw) at least twice
        var id = await f.BeginWithBranchesAsync(2, timeout: TimeSpan.FromSeconds(5));
        await AdvanceUntilAsync(time, () => f.Manager.GetAsync(id, CancellationToken.None).Result.State.IsAbortDecided());

        Assert.False(sweeper.ExecuteTask!.IsCompleted, "the sweeper loop ended");
        await sweeper.StopAsync(CancellationToken.None);
    }

    private static async Task AdvanceUntilAsync(FakeTimeProvider time, Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(1, timeout.Token);
        }
    }
}
