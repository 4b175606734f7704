using TwoPC.IntegrationTests.Support;
using TwoPC.Client;

namespace TwoPC.IntegrationTests.Saga;

/// <summary>
/// The coordinator process is killed mid-saga (SIGKILL at a named point) and restarted on the same log: the saga
/// finishes in the right direction and no step's effect runs twice (the participants' barrier answers duplicates).
/// </summary>
public sealed class SagaCrashTests
{
    [Theory]
    [InlineData("saga.step-recorded")]
    [InlineData("saga.step-done-unrecorded")]
    public async Task CoordinatorKilledGoingForward_FinishesForward_EachEffectOnce(string point)
    {
        await using var cluster = await Cluster.StartAsync(2, [$"--TwoPC:Faults:Points:{point}=Crash"]);

        var saga = Transfer(cluster, "acct", 10);
        await Assert.ThrowsAnyAsync<Exception>(() => saga.RunAsync());
        await cluster.Coordinator.WaitForExitAsync(TimeSpan.FromSeconds(15));
        Assert.Contains($"FAULT {point}", cluster.Coordinator.Output);
        var id = SagaIdFrom(cluster.Coordinator.Output, point);

        cluster.Coordinator.ExtraArgs.Add($"--TwoPC:Faults:Points:{point}=None");
        await cluster.Coordinator.StartAsync();
        await cluster.WaitForStateAsync(id, TransactionState.SagaCompleted, TimeSpan.FromSeconds(30));

        Assert.Equal(990, cluster.KillAndReadBalances(0)["acct"]);
        Assert.Equal(1010, cluster.KillAndReadBalances(1)["acct"]);
    }

    [Theory]
    [InlineData("saga.compensation-recorded")]
    [InlineData("saga.compensation-done-unrecorded")]
    public async Task CoordinatorKilledWhileCompensating_FinishesBackward_EachEffectOnce(string point)
    {
        await using var cluster = await Cluster.StartAsync(2, [$"--TwoPC:Faults:Points:{point}=Crash"]);

        // Step 1 debits 10 on p0; step 2 "credits" -5000 on p1, which would overdraw: a definitive business failure.
        var saga = cluster.Client.Saga()
            .Step("debit", cluster.Participants[0].Address, "ledger-step", Cluster.Ledger("acct", -10), Cluster.Ledger("acct", -10))
            .Step("credit", cluster.Participants[1].Address, "ledger-step", Cluster.Ledger("acct", -5000), Cluster.Ledger("acct", -5000));
        await Assert.ThrowsAnyAsync<Exception>(() => saga.RunAsync());
        await cluster.Coordinator.WaitForExitAsync(TimeSpan.FromSeconds(15));
        var id = SagaIdFrom(cluster.Coordinator.Output, point);

        cluster.Coordinator.ExtraArgs.Add($"--TwoPC:Faults:Points:{point}=None");
        await cluster.Coordinator.StartAsync();
        var status = await cluster.WaitForStateAsync(id, TransactionState.SagaCompensated, TimeSpan.FromSeconds(30));

        Assert.Contains("insufficient funds", status.Reason);
        // The debit ran once and was compensated once: back to the start state.
        Assert.Equal(1000, cluster.KillAndReadBalances(0)["acct"]);
        Assert.Equal(1000, cluster.KillAndReadBalances(1).GetValueOrDefault("acct", 1000));
    }

    [Fact]
    public async Task RetriedRunSaga_WithTheSameKey_AfterACoordinatorRestart_ReturnsTheFirstSaga_AndRunsNothingAgain()
    {
        await using var cluster = await Cluster.StartAsync(2);
        var first = await Transfer(cluster, "acct", 10).IdempotencyKey("transfer-7").RunAsync();
        Assert.Equal(SagaOutcome.Completed, first.Outcome);

        cluster.Coordinator.Kill();
        await cluster.Coordinator.StartAsync();
        var retried = await Transfer(cluster, "acct", 10).IdempotencyKey("transfer-7").RunAsync();

        Assert.Equal(first.TransactionId, retried.TransactionId);
        Assert.Equal(990, cluster.KillAndReadBalances(0)["acct"]);
        Assert.Equal(1010, cluster.KillAndReadBalances(1)["acct"]);
    }

    private static SagaBuilder Transfer(Cluster cluster, string account, long amount) => cluster.Client.Saga()
        .Step("debit", cluster.Participants[0].Address, "ledger-step", Cluster.Ledger(account, -amount), Cluster.Ledger(account, -amount))
        .Step("credit", cluster.Participants[1].Address, "ledger-step", Cluster.Ledger(account, amount), Cluster.Ledger(account, amount));

    /// <summary>The fault point prints "FAULT {point} crash tx={id}" before the process dies.</summary>
    private static string SagaIdFrom(string output, string point)
    {
        var line = output.Split('\n').First(l => l.Contains($"FAULT {point}", StringComparison.Ordinal));
        return line[(line.IndexOf("tx=", StringComparison.Ordinal) + 3)..].Trim();
    }
}
