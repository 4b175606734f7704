using Microsoft.Extensions.Hosting;
using NSubstitute;
using TwoPC.Coordinator.Recovery;
using TwoPC.Coordinator.Storage.InMemory;
using TwoPC.Coordinator.Tests.Support;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Tests.Recovery;

/// <summary>The lease service keeps an instance's lease, claims dead instances' work by itself, and stops the instance when its lease is lost.</summary>
public sealed class ClusterLeaseServiceTests : IDisposable
{
    private static readonly TimeSpan Lease = TimeSpan.FromMilliseconds(1500);
    private readonly InMemoryCluster _cluster = new(TimeProvider.System);
    private readonly List<IDisposable> _owned = new();

    private async Task<(EngineFixture Engine, InMemoryClusteredTransactionLog Log, IHostApplicationLifetime Lifetime, ClusterLeaseHostedService Service)> StartAsync()
    {
        var log = _cluster.Connect();
        var f = new EngineFixture(log, o =>
        {
            o.LeaseDuration = Lease;
            o.LeaseRenewInterval = TimeSpan.FromMilliseconds(50);
            o.TakeoverScanInterval = TimeSpan.FromMilliseconds(50);
        });
        f.AllVote(Vote.Prepared);
        await f.Manager.RecoverAsync(CancellationToken.None);
        var lifetime = Substitute.For<IHostApplicationLifetime>();
        var service = new ClusterLeaseHostedService(f.Manager, f.Engine, lifetime);
        await service.StartAsync(CancellationToken.None);
        _owned.Add(f);
        _owned.Add(service);
        return (f, log, lifetime, service);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (cts.IsCancellationRequested) Assert.Fail("timed out waiting until " + what);
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task TheLeaseIsRenewed_SoTheInstanceKeepsWritingLongAfterOneLeaseDuration()
    {
        var (a, aLog, lifetime, _) = await StartAsync();
        var id = await a.BeginWithBranchesAsync(1);
        var until = DateTime.UtcNow + Lease * 2;
        while (DateTime.UtcNow < until)
        {
            var owner = await aLog.GetOwnerAsync(id, CancellationToken.None);
            Assert.True(owner!.LeaseLive, "the lease ran out although the service renews it: " + string.Join("; ", a.Logger.Events.Select(e => e.Message)));
            await Task.Delay(Lease / 4);
        }

        var result = await a.Manager.CommitAsync(id, waitForCompletion: true, CancellationToken.None);
        Assert.True(result.Committed);
        lifetime.DidNotReceive().StopApplication();
    }

    [Fact]
    public async Task ADeadInstancesTransaction_IsClaimedAndFinished_WithoutAnyCall()
    {
        var (a, _, _, aService) = await StartAsync();
        var id = await a.BeginWithBranchesAsync(2);
        await aService.StopAsync(CancellationToken.None);
        a.Engine.Stop(); // A dies with the transaction undecided

        var (b, bLog, _, _) = await StartAsync();
        await WaitUntilAsync(() => _cluster.OwnerOf(id) == bLog.InstanceId, "B's lease service claimed A's transaction");
        var finished = await b.WaitFinishedAsync(id);
        Assert.Equal(TransactionState.Aborted, finished.State);
    }

    [Fact]
    public async Task WhenTheLogRefusesTheRenewal_TheInstanceStops_AndSaysWhy()
    {
        var (a, aLog, lifetime, _) = await StartAsync();

        // The lease runs out (as after a pause longer than the lease): the next renewal is refused.
        await aLog.RenewLeaseAsync(TimeSpan.Zero, "", CancellationToken.None);

        await WaitUntilAsync(() => lifetime.ReceivedCalls().Any(c => c.GetMethodInfo().Name == nameof(IHostApplicationLifetime.StopApplication)), "the instance was stopped");
        Assert.True(a.Engine.Stopping.IsCancellationRequested);
        Assert.Contains("lost its lease", Assert.Single(a.Logger.Named("LeaseLost")).Message);
    }

    public void Dispose()
    {
        foreach (var o in _owned) o.Dispose();
    }
}
