using TwoPC.IntegrationTests.Support;
using TwoPC.Client;

namespace TwoPC.IntegrationTests.Crash;

/// <summary>A 2PC Begin retried with the same idempotency key after a coordinator crash finds the same transaction.</summary>
public sealed class IdempotentBeginRestartTests
{
    [Fact]
    public async Task BeginWithTheSameKey_AfterKill9AndRestart_ReturnsTheCommittedTransaction()
    {
        await using var cluster = await Cluster.StartAsync(2);
        var key = "transfer-" + Guid.NewGuid().ToString("N");
        var tx = await cluster.Client.BeginAsync(TimeSpan.FromSeconds(30), key);
        await tx.EnlistAsync(cluster.Participants[0].Address, "ledger", Cluster.Ledger("frank", -100));
        await tx.EnlistAsync(cluster.Participants[1].Address, "ledger", Cluster.Ledger("frank", 100));
        Assert.True((await tx.CommitAsync(waitForCompletion: true)).IsCommitted);

        cluster.Coordinator.Kill();
        await cluster.Coordinator.StartAsync();

        var retried = await cluster.Client.BeginAsync(TimeSpan.FromSeconds(30), key);
        Assert.Equal(tx.Id, retried.Id);
        var status = await cluster.Client.GetTransactionAsync(retried.Id);
        Assert.Equal(TransactionState.Committed, status.State);
        // The retry applies nothing a second time.
        Assert.True((await retried.CommitAsync(waitForCompletion: true)).IsCommitted);
        Assert.Equal(900, cluster.KillAndReadBalances(0)["frank"]);
        Assert.Equal(1100, cluster.KillAndReadBalances(1)["frank"]);
    }
}
