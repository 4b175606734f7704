using TwoPC.IntegrationTests.Support;
using TwoPC.Client;

namespace TwoPC.IntegrationTests.Crash;

/// <summary>Crash tests: real processes killed with SIGKILL at named points, then restarted on the same files.</summary>
public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task CoordinatorKilledAfterTheDecisionIsDurable_BeforeAnyCommit_EveryBranchCommitsAfterRestart()
    {
        await using var cluster = await Cluster.StartAsync(2, ["--TwoPC:Faults:Points:2pc.decision-durable=Crash"]);
        var tx = await cluster.BeginTransferAsync("alice", 100);

        await Assert.ThrowsAnyAsync<TwoPcTransactionException>(() => tx.CommitAsync());
        await cluster.Coordinator.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("FAULT 2pc.decision-durable", cluster.Coordinator.Output);

        cluster.Coordinator.ExtraArgs.Add("--TwoPC:Faults:Points:2pc.decision-durable=None");
        await cluster.Coordinator.StartAsync();
        var status = await cluster.WaitForStateAsync(tx.Id, TransactionState.Committed, TimeSpan.FromSeconds(30));

        Assert.All(status.Branches, b => Assert.Equal(BranchState.Committed, b.State));
        Assert.Equal(900, cluster.KillAndReadBalances(0)["alice"]);
        Assert.Equal(1100, cluster.KillAndReadBalances(1)["alice"]);
    }

    [Fact]
    public async Task CoordinatorKilledBeforeTheDecision_EveryBranchAbortsAfterRestart()
    {
        await using var cluster = await Cluster.StartAsync(2, ["--TwoPC:Faults:Points:2pc.votes-in=Crash"]);
        var tx = await cluster.BeginTransferAsync("bob", 100);

        await Assert.ThrowsAnyAsync<TwoPcTransactionException>(() => tx.CommitAsync());
        await cluster.Coordinator.WaitForExitAsync(TimeSpan.FromSeconds(10));

        cluster.Coordinator.ExtraArgs.Add("--TwoPC:Faults:Points:2pc.votes-in=None");
        await cluster.Coordinator.StartAsync();

        // Both branches are durably prepared and hold their locks. The coordinator has no record (it never decided):
        // the participants' in-doubt check asks, hears "aborted" (presumed abort), and releases the locks.
        // Proof: a new transfer on the same account commits, and the balances show only that transfer.
        await WaitUntilAsync(async () =>
        {
            var next = await cluster.BeginTransferAsync("bob", 1);
            return (await next.CommitAsync(waitForCompletion: true)).IsCommitted;
        }, TimeSpan.FromSeconds(30));
        Assert.Equal(999, cluster.KillAndReadBalances(0)["bob"]);
        Assert.Equal(1001, cluster.KillAndReadBalances(1)["bob"]);
    }

    [Fact]
    public async Task ParticipantKilledWhilePrepared_LearnsTheOutcomeAfterRestart_AndApplies()
    {
        await using var cluster = await Cluster.StartAsync(2, participantArgs: i => i == 1 ? ["--Ledger:HangCommit=true"] : []);
        var tx = await cluster.BeginTransferAsync("carol", 100);

        // The decision is commit; participant 1 is durably prepared but its Commit hangs: kill it there.
        Assert.True((await tx.CommitAsync()).IsCommitted);
        await WaitUntilAsync(async () =>
        {
            var s = await cluster.Client.GetTransactionAsync(tx.Id);
            return s.Branches.Single(b => b.BranchId == 1).State == BranchState.Committed;
        }, TimeSpan.FromSeconds(10));
        cluster.Participants[1].Kill();
        cluster.Participants[1].ExtraArgs.Add("--Ledger:HangCommit=false");
        await cluster.Participants[1].StartAsync();

        await cluster.WaitForStateAsync(tx.Id, TransactionState.Committed, TimeSpan.FromSeconds(30));
        Assert.Equal(900, cluster.KillAndReadBalances(0)["carol"]);
        Assert.Equal(1100, cluster.KillAndReadBalances(1)["carol"]);
    }

    [Fact]
    public async Task ParticipantKilledWhilePrepared_WithTheCoordinatorDownToo_BothRecoverAndCommit()
    {
        await using var cluster = await Cluster.StartAsync(2, participantArgs: i => i == 1 ? ["--Ledger:HangCommit=true"] : []);
        var tx = await cluster.BeginTransferAsync("dave", 50);
        Assert.True((await tx.CommitAsync()).IsCommitted);

        cluster.Coordinator.Kill();
        cluster.Participants[1].Kill();
        cluster.Participants[1].ExtraArgs.Add("--Ledger:HangCommit=false");
        await cluster.Participants[1].StartAsync();
        await cluster.Coordinator.StartAsync();

        await cluster.WaitForStateAsync(tx.Id, TransactionState.Committed, TimeSpan.FromSeconds(30));
        Assert.Equal(950, cluster.KillAndReadBalances(0)["dave"]);
        Assert.Equal(1050, cluster.KillAndReadBalances(1)["dave"]);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (await condition()) return;
            }
            catch (Exception) when (DateTime.UtcNow < until)
            {
            }

            if (DateTime.UtcNow >= until) throw new TimeoutException("condition not met in time");
            await Task.Delay(50);
        }
    }
}

/// <summary>Every named crash point, on real processes: kill at the point, restart without the fault, check the end.</summary>
public sealed class CrashPointTests
{
    [Theory]
    [InlineData("2pc.before-prepare", false, 2)]
    [InlineData("2pc.votes-in", false, 5)]
    [InlineData("2pc.decision-durable", true, 5)]
    [InlineData("2pc.after-first-commit-ack", true, 2)]
    [InlineData("2pc.before-finish", true, 2)]
    public async Task CoordinatorCrash_ThenRestart_FinishesEveryBranch(string point, bool commits, int participants)
    {
        await using var cluster = await Cluster.StartAsync(participants, [$"--TwoPC:Faults:Points:{point}=Crash"]);
        var tx = await cluster.BeginTransferAsync("acct", 10);

        try
        {
            await tx.CommitAsync(waitForCompletion: true);
        }
        catch (TwoPC.Client.TwoPcTransactionException)
        {
            // The reply was lost with the process: expected at every point.
        }

        await cluster.Coordinator.WaitForExitAsync(TimeSpan.FromSeconds(15));
        cluster.Coordinator.ExtraArgs.Add($"--TwoPC:Faults:Points:{point}=None");
        await cluster.Coordinator.StartAsync();

        var expected = commits ? 990 : 1000;
        await AssertBalancesEventuallyAsync(cluster, expected, participants);
    }

    [Fact]
    public async Task CoordinatorCrashesAgainDuringRecovery_ThenFinishes()
    {
        await using var cluster = await Cluster.StartAsync(2, ["--TwoPC:Faults:Points:2pc.after-first-commit-ack=Crash"]);
        var tx = await cluster.BeginTransferAsync("acct", 10);
        await Assert.ThrowsAnyAsync<TwoPC.Client.TwoPcTransactionException>(() => tx.CommitAsync(waitForCompletion: true));
        await cluster.Coordinator.WaitForExitAsync(TimeSpan.FromSeconds(15));

        // Second start still has the fault: recovery resumes phase 2 and crashes at the same point again.
        var restart = cluster.Coordinator.StartAsync();
        await Task.WhenAny(restart, Task.Delay(TimeSpan.FromSeconds(30)));
        await cluster.Coordinator.WaitForExitAsync(TimeSpan.FromSeconds(15));
        Assert.Contains("FAULT 2pc.after-first-commit-ack", cluster.Coordinator.Output);

        cluster.Coordinator.ExtraArgs.Add("--TwoPC:Faults:Points:2pc.after-first-commit-ack=None");
        await cluster.Coordinator.StartAsync();
        await AssertBalancesEventuallyAsync(cluster, 990, 2);
    }

    // Before its vote leaves, the crashed participant's branch may still commit: if it restarts before the deadline,
    // the coordinator's retried Prepare reaches it (and a durable prepared record answers the retry as a yes). So
    // the outcome is read from the coordinator and both participants must agree with it; after the commit record,
    // the outcome can only be commit.
    [Theory]
    [InlineData("participant.before-prepared-record", null)]
    [InlineData("participant.prepared-durable", null)]
    [InlineData("participant.commit-durable", true)]
    public async Task ParticipantCrash_ThenRestart_AgreesWithTheOthers(string point, bool? commits)
    {
        await using var cluster = await Cluster.StartAsync(2, participantArgs: i => i == 1 ? [$"--TwoPC:Participant:FaultPoints:{point}=Crash"] : []);
        var tx = await cluster.BeginTransferAsync("acct", 10, timeout: TimeSpan.FromSeconds(3));

        try
        {
            await tx.CommitAsync();
        }
        catch (TwoPC.Client.TwoPcTransactionException)
        {
        }

        await cluster.Participants[1].WaitForExitAsync(TimeSpan.FromSeconds(15));
        cluster.Participants[1].ExtraArgs.Add($"--TwoPC:Participant:FaultPoints:{point}=None");
        await cluster.Participants[1].StartAsync();

        var committed = await DecisionAsync(cluster, tx.Id);
        if (commits is { } expected) Assert.Equal(expected, committed);
        await AssertBalancesEventuallyAsync(cluster, committed ? 990 : 1000, 2);
    }

    /// <summary>The coordinator's decision, once it has one (no record = presumed abort).</summary>
    private static async Task<bool> DecisionAsync(Cluster cluster, string id)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                var status = await cluster.Client.GetTransactionAsync(id);
                if (status.State is TwoPC.Client.TransactionState.Committing or TwoPC.Client.TransactionState.Committed) return true;
                if (status.State is TwoPC.Client.TransactionState.Aborting or TwoPC.Client.TransactionState.Aborted) return false;
            }
            catch (TwoPC.Client.TransactionNotFoundException)
            {
                return false;
            }
            catch (TwoPC.Client.TwoPcTransactionException) when (DateTime.UtcNow < until)
            {
            }

            if (DateTime.UtcNow >= until) throw new TimeoutException($"transaction {id} was not decided in time");
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until every branch is final, then reads both participants' files after SIGKILL.</summary>
    private static async Task AssertBalancesEventuallyAsync(Cluster cluster, long debited, int participants)
    {
        // A probe transfer on the same account commits only once every lock of the first transaction is released,
        // that is, once every branch applied its outcome. Its decision is the proof (both branches prepared it), so
        // the probe does not wait for its own phase 2; it moves no money.
        var until = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            try
            {
                var probe = await cluster.BeginTransferAsync("acct", 0);
                if ((await probe.CommitAsync()).IsCommitted) break;
            }
            catch (TwoPC.Client.TwoPcTransactionException) when (DateTime.UtcNow < until)
            {
            }

            if (DateTime.UtcNow >= until) throw new TimeoutException("locks were not released in time\n" + cluster.Coordinator.Output);
            await Task.Delay(100);
        }

        var credited = 2000 - debited;
        Assert.Equal(debited, cluster.KillAndReadBalances(0).GetValueOrDefault("acct", 1000));
        for (var i = 1; i < participants; i++) Assert.Equal(credited, cluster.KillAndReadBalances(i).GetValueOrDefault("acct", 1000));
    }
}
