using Grpc.Core;
using TwoPC.Client.Tests.Infrastructure;

namespace TwoPC.Client.Tests;

public sealed class DistributedTransactionDisposeTests : IAsyncLifetime
{
    private static readonly Uri Participant = new("http://127.0.0.1:5001");
    private StubCoordinator _coordinator = null!;
    private TwoPcClient _client = null!;

    public async Task InitializeAsync()
    {
        _coordinator = await StubCoordinator.StartAsync();
        _client = new TwoPcClient(new TwoPcClientOptions { CoordinatorAddress = _coordinator.Address });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _coordinator.DisposeAsync();
    }

    [Fact]
    public async Task DisposeAsync_NeitherCommittedNorAborted_AbortsIt()
    {
        await using (var tx = await _client.BeginAsync())
        {
            await tx.EnlistAsync(Participant, "accounts", new byte[] { 1 });
        }

        Assert.Equal(1, _coordinator.Count("Abort"));
    }

    [Fact]
    public async Task DisposeAsync_AfterAnInDoubtCommit_DoesNotAbort()
    {
        _coordinator.OnCommit = _ => throw new RpcException(new Status(StatusCode.Unavailable, "connection lost"));
        var tx = await _client.BeginAsync();
        await tx.EnlistAsync(Participant, "accounts", new byte[] { 1 });
        await tx.EnlistAsync(Participant, "ledger", new byte[] { 2 });
        await Assert.ThrowsAsync<TransactionInDoubtException>(() => tx.CommitAsync());

        await tx.DisposeAsync();

        Assert.Equal(0, _coordinator.Count("Abort"));
    }

    [Fact]
    public async Task DisposeAsync_AfterCommit_DoesNotAbort()
    {
        await using (var tx = await _client.BeginAsync())
        {
            await tx.CommitAsync();
        }

        Assert.Equal(0, _coordinator.Count("Abort"));
    }

    [Fact]
    public async Task DisposeAsync_AfterAbort_DoesNotAbortAgain()
    {
        await using (var tx = await _client.BeginAsync())
        {
            await tx.AbortAsync("no");
        }

        Assert.Equal(1, _coordinator.Count("Abort"));
    }

    [Fact]
    public async Task DisposeAsync_WhenTheAbortFails_DoesNotThrow()
    {
        _coordinator.OnAbort = _ => throw new RpcException(new Status(StatusCode.Unavailable, "coordinator down"));
        var tx = await _client.BeginAsync();

        await tx.DisposeAsync();

        Assert.Equal(1, _coordinator.Count("Abort"));
    }

    [Fact]
    public async Task DisposeAsync_AfterTheClientWasDisposed_DoesNotThrow()
    {
        var client = new TwoPcClient(new TwoPcClientOptions { CoordinatorAddress = _coordinator.Address });
        var tx = await client.BeginAsync();
        client.Dispose();

        await tx.DisposeAsync();
    }
}
