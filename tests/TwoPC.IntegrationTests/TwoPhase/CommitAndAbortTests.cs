using TwoPC.IntegrationTests.Support;
using TwoPC.Client;

namespace TwoPC.IntegrationTests.TwoPhase;

/// <summary>Happy paths over real processes: a coordinator and ledger participants on loopback, real LiteDB files.</summary>
public sealed class CommitAndAbortTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public async Task Transfer_Commits_OnEveryParticipant_AndIsDurable(int participants)
    {
        await using var cluster = await Cluster.StartAsync(participants);
        var tx = await cluster.BeginTransferAsync("alice", 100);

        var outcome = await tx.CommitAsync(waitForCompletion: true);

        Assert.True(outcome.IsCommitted, outcome.Reason);
        var status = await cluster.Client.GetTransactionAsync(tx.Id);
        Assert.Equal(TransactionState.Committed, status.State);
        Assert.All(status.Branches, b => Assert.Equal(BranchState.Committed, b.State));
        // Killed with SIGKILL, the participants' files still hold the committed balances.
        Assert.Equal(900, cluster.KillAndReadBalances(0)["alice"]);
        for (var i = 1; i < participants; i++) Assert.Equal(1100, cluster.KillAndReadBalances(i)["alice"]);
    }

    [Fact]
    public async Task Transfer_ThatOverdraws_Aborts_OnEveryParticipant()
    {
        await using var cluster = await Cluster.StartAsync(2);
        var tx = await cluster.BeginTransferAsync("bob", 5000);

        var outcome = await tx.CommitAsync(waitForCompletion: true);

        Assert.False(outcome.IsCommitted);
        Assert.Contains("insufficient funds", outcome.Reason);
        // Nothing changed, and the credit side's lock was released: the same account can move money again.
        var next = await cluster.BeginTransferAsync("bob", 10);
        Assert.True((await next.CommitAsync(waitForCompletion: true)).IsCommitted);
        Assert.Equal(990, cluster.KillAndReadBalances(0)["bob"]);
        Assert.Equal(1010, cluster.KillAndReadBalances(1)["bob"]);
    }

    [Fact]
    public async Task SingleParticipant_CommitsInOnePhase()
    {
        await using var cluster = await Cluster.StartAsync(1);
        var tx = await cluster.BeginTransferAsync("carol", 1);
        var before = await cluster.Coordinator.StatsAsync();

        var outcome = await tx.CommitAsync(waitForCompletion: true);

        Assert.True(outcome.IsCommitted);
        var after = await cluster.Coordinator.StatsAsync();
        Assert.Equal(before.ForcedWrites, after.ForcedWrites); // no decision record in one-phase commit
        Assert.Equal(999, cluster.KillAndReadBalances(0)["carol"]);
    }

    [Fact]
    public async Task ClientAbort_BeforeCommit_ChangesNothing()
    {
        await using var cluster = await Cluster.StartAsync(2);
        var tx = await cluster.BeginTransferAsync("dave", 10);

        var outcome = await tx.AbortAsync("changed my mind");

        Assert.False(outcome.IsCommitted);
        var error = await Assert.ThrowsAsync<TransactionAbortedException>(() => tx.CommitAsync());
        Assert.Contains("aborted before Commit", error.Message);
        Assert.False(cluster.KillAndReadBalances(0).ContainsKey("dave"));
    }

    [Fact]
    public async Task Transaction_LeftActivePastItsTimeout_IsAbortedByTheCoordinator()
    {
        await using var cluster = await Cluster.StartAsync(2);
        // Long enough for Begin and both Enlists even on a loaded machine; the sweeper then aborts it.
        var tx = await cluster.BeginTransferAsync("erin", 10, timeout: TimeSpan.FromSeconds(2));

        await cluster.WaitForStateAsync(tx.Id, TransactionState.Aborted, TimeSpan.FromSeconds(30));
        var error = await Assert.ThrowsAsync<TransactionAbortedException>(() => tx.CommitAsync());

        Assert.Contains("timed out", error.Message);
    }

    [Fact]
    public async Task ForcedWrites_ReachTheDisk_AtCoordinatorAndParticipants()
    {
        await using var cluster = await Cluster.StartAsync(2);
        var before = await Task.WhenAll(new[] { cluster.Coordinator }.Concat(cluster.Participants).Select(p => p.StatsAsync()));

        var tx = await cluster.BeginTransferAsync("frank", 5);
        Assert.True((await tx.CommitAsync(waitForCompletion: true)).IsCommitted);

        var after = await Task.WhenAll(new[] { cluster.Coordinator }.Concat(cluster.Participants).Select(p => p.StatsAsync()));
        // Coordinator: the commit decision. Each participant: the prepared record and the commit record.
        Assert.True(after[0].Fsyncs > before[0].Fsyncs, "the coordinator made no fdatasync for the commit decision");
        for (var i = 1; i < after.Length; i++)
            Assert.True(after[i].Fsyncs >= before[i].Fsyncs + 2, $"participant {i - 1} made {after[i].Fsyncs - before[i].Fsyncs} fdatasyncs; expected prepare + commit");
    }
}
