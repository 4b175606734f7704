using NSubstitute;
using NSubstitute.ExceptionExtensions;
using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Storage.InMemory;
using TwoPC.Coordinator.Tests.Support;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Tests.Recovery;

/// <summary>
/// Several engines over one shared log (the in-memory cluster; the PostgreSQL log runs the same contract): ownership,
/// takeover of a dead instance's transactions, redirects, fencing and presumed abort as a stored tombstone.
/// </summary>
public sealed class ClusterTakeoverTests : IDisposable
{
    private static readonly TimeSpan ShortLease = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan LongLease = TimeSpan.FromSeconds(30);
    private readonly InMemoryCluster _cluster = new(TimeProvider.System);
    private readonly List<EngineFixture> _instances = new();

    private async Task<(EngineFixture Engine, InMemoryClusteredTransactionLog Log)> StartInstanceAsync(string address, TimeSpan lease)
    {
        var log = _cluster.Connect();
        var f = new EngineFixture(log, o =>
        {
            o.LeaseDuration = lease;
            o.LeaseRenewInterval = lease / 3;
            o.AdvertisedAddress = address;
        });
        _instances.Add(f);
        f.AllVote(Vote.Prepared);
        await f.Manager.RecoverAsync(CancellationToken.None);
        return (f, log);
    }

    /// <summary>Runs B's takeover scan until B owns <paramref name="id"/> (A's lease must expire first).</summary>
    private async Task ClaimUntilOwnedAsync(EngineFixture b, InMemoryClusteredTransactionLog bLog, string id)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (_cluster.OwnerOf(id) != bLog.InstanceId)
        {
            if (cts.IsCancellationRequested) Assert.Fail($"instance B never claimed {id}");
            await b.Manager.ClaimOrphansAsync(CancellationToken.None);
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task AnUndecidedTransactionOfADeadInstance_IsClaimedByAnother_AndAborted()
    {
        var (a, _) = await StartInstanceAsync("http://a:1", ShortLease);
        var id = await a.BeginWithBranchesAsync(2);
        a.Engine.Stop(); // the instance dies: no more renewals

        var (b, bLog) = await StartInstanceAsync("http://b:1", LongLease);
        await ClaimUntilOwnedAsync(b, bLog, id);

        var finished = await b.WaitFinishedAsync(id);
        Assert.Equal(TransactionState.Aborted, finished.State);
        Assert.Equal(bLog.InstanceId, _cluster.OwnerOf(id));
    }

    [Fact]
    public async Task ADecidedTransactionOfADeadInstance_IsFinishedByAnother_WithPhase2()
    {
        var (a, _) = await StartInstanceAsync("http://a:1", ShortLease);
        a.Participants.CommitAsync(default!, default!, default).ThrowsAsyncForAnyArgs(new ParticipantUnreachableException("down"));
        var id = await a.BeginWithBranchesAsync(2);
        var result = await a.Manager.CommitAsync(id, waitForCompletion: false, CancellationToken.None);
        Assert.True(result.Committed);
        a.Engine.Stop();

        var (b, bLog) = await StartInstanceAsync("http://b:1", LongLease);
        await ClaimUntilOwnedAsync(b, bLog, id);

        var finished = await b.WaitFinishedAsync(id);
        Assert.Equal(TransactionState.Committed, finished.State);
        await b.Participants.ReceivedWithAnyArgs(2).CommitAsync(default!, default!, default);
        await b.Participants.DidNotReceiveWithAnyArgs().AbortAsync(default!, default!, default);
    }

    [Fact]
    public async Task CommitAtAnInstanceThatDoesNotOwnTheTransaction_NamesTheOwner_AndDecidesNothing()
    {
        var (a, _) = await StartInstanceAsync("http://a:1", LongLease);
        var (b, _) = await StartInstanceAsync("http://b:1", LongLease);
        var id = await a.BeginWithBranchesAsync(2);

        var refused = await Assert.ThrowsAsync<TransactionNotOwnedException>(() => b.Manager.CommitAsync(id, false, CancellationToken.None));
        Assert.Equal("http://a:1", refused.OwnerAddress);
        await Assert.ThrowsAsync<TransactionNotOwnedException>(() => b.Manager.AbortAsync(id, null, CancellationToken.None));
        await Assert.ThrowsAsync<TransactionNotOwnedException>(() => b.Manager.EnlistAsync(id, "http://127.0.0.1:5009", "r9", [9], null, CancellationToken.None));
        await b.Participants.DidNotReceiveWithAnyArgs().PrepareAsync(default!, default!, default, default, default);
        Assert.Equal(TransactionState.Active, (await a.EngineLog.GetAsync(id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task AnInDoubtQueryForAnUnknownId_StoresAnAbort_SoALateFirstWriteOfThatIdIsFenced()
    {
        var (a, aLog) = await StartInstanceAsync("http://a:1", LongLease);
        var (b, _) = await StartInstanceAsync("http://b:1", LongLease);
        var id = TransactionManager.NewId();

        var (record, presumed, pending) = await b.Manager.ResolveInDoubtAsync(id, b.EngineLog.LogId, CancellationToken.None);

        Assert.True(presumed);
        Assert.False(pending);
        Assert.Equal(TransactionState.Aborted, record.State);
        var late = new TransactionRecord { Id = id, Mode = TransactionMode.TwoPhase, State = TransactionState.Committing };
        await Assert.ThrowsAsync<OwnershipLostException>(() => aLog.SaveAsync(late, WriteDurability.Forced, CancellationToken.None));
        Assert.Equal(TransactionState.Aborted, (await a.EngineLog.GetAsync(id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task AnInstanceWhoseLeaseExpired_CannotWriteADecision_AndTellsNoParticipant()
    {
        var (a, aLog) = await StartInstanceAsync("http://a:1", ShortLease);
        var id = await a.BeginWithBranchesAsync(2);
        // A is paused past its lease (a renewal for zero lets it run out at once); nobody has claimed its transaction yet.
        while (await aLog.RenewLeaseAsync(TimeSpan.Zero, "", CancellationToken.None)) await Task.Delay(20);

        var commit = a.Manager.CommitAsync(id, waitForCompletion: false, CancellationToken.None);
        await Assert.ThrowsAnyAsync<Exception>(() => commit.WaitAsync(TimeSpan.FromSeconds(10)));

        var stored = await a.EngineLog.GetAsync(id, CancellationToken.None);
        Assert.False(stored!.State.IsCommitDecided(), $"a fenced instance wrote {stored.State}");
        await a.Participants.DidNotReceiveWithAnyArgs().CommitAsync(default!, default!, default);
    }

    public void Dispose()
    {
        foreach (var f in _instances) f.Dispose();
    }
}
