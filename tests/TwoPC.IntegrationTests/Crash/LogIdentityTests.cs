using TwoPC.IntegrationTests.Support;
using TwoPC.Client;

namespace TwoPC.IntegrationTests.Crash;

/// <summary>
/// A coordinator started on another (here: empty) decision log at the same address must not answer "presumed
/// abort" for a transaction the first log committed: the prepared participant keeps waiting until the coordinator
/// with the right log is back, and then commits like its peer.
/// </summary>
public sealed class LogIdentityTests
{
    [Fact]
    public async Task CoordinatorRestartedOnAFreshLog_DoesNotAbortACommittedTransaction_TheBranchWaitsForTheRightLog()
    {
        // Participant 1's Commit hangs; the coordinator dies right after participant 0 acknowledged its commit.
        await using var cluster = await Cluster.StartAsync(2, ["--TwoPC:Faults:Points:2pc.after-first-commit-ack=Crash"],
            i => i == 1 ? ["--Ledger:HangCommit=true"] : []);
        var tx = await cluster.BeginTransferAsync("erin", 100);
        string answer;
        try
        {
            answer = (await tx.CommitAsync()).ToString();
        }
        catch (TwoPcTransactionException ex)
        {
            // The answer may be lost with the process.
            answer = ex.ToString();
        }

        await cluster.WaitForCoordinatorCrashAsync(TimeSpan.FromSeconds(30), answer);
        Assert.Contains("FAULT 2pc.after-first-commit-ack", cluster.Coordinator.Output);
        var b = cluster.Participants[1];
        b.Kill();

        // Another coordinator, on an empty log, answers at the same address.
        var freshPath = Path.Combine(cluster.DataDir, "elsewhere", "coordinator.db");
        cluster.Coordinator.ExtraArgs.AddRange(["--TwoPC:Faults:Points:2pc.after-first-commit-ack=None", $"--TwoPC:Coordinator:DataPath={freshPath}"]);
        await cluster.Coordinator.StartAsync();
        b.ExtraArgs.Add("--Ledger:HangCommit=false");
        await b.StartAsync();

        // B asks the wrong log: it must hear "log mismatch" (and keep asking), never "presumed abort".
        var until = DateTime.UtcNow.AddSeconds(60);
        long resolved, mismatches;
        while (true)
        {
            var stats = await b.StatsAsync();
            resolved = stats.Counters.GetValueOrDefault("indoubt.resolved");
            mismatches = stats.Counters.GetValueOrDefault("indoubt.log_mismatch");
            if (resolved > 0 || mismatches >= 3 || DateTime.UtcNow >= until) break;
            await Task.Delay(50);
        }

        Assert.True(resolved == 0, $"the prepared branch was resolved by a coordinator with another log (presumed abort while its peer committed)\n{b.Output}");
        Assert.True(mismatches >= 3, $"the branch did not keep asking after a log mismatch ({mismatches} mismatches)\n{b.Output}");
        Assert.Contains(tx.Id, b.Output);
        Assert.Contains("log mismatch", b.Output, StringComparison.OrdinalIgnoreCase);

        // The coordinator with the original log comes back at that address: B commits like A.
        cluster.Coordinator.Kill();
        cluster.Coordinator.ClearExtraArgs();
        // The test processes log at Warning; the start banner (data path and log identity) is at Information.
        cluster.Coordinator.ExtraArgs.AddRange(["--TwoPC:Faults:Points:2pc.after-first-commit-ack=None", "--Logging:LogLevel:TwoPC.Coordinator.Hosting=Information"]);
        await cluster.Coordinator.StartAsync();
        await WaitForOutputAsync(cluster.Coordinator, $"Decision log {Path.Combine(cluster.DataDir, "coordinator.db")} with log identity ");

        await cluster.WaitForStateAsync(tx.Id, TransactionState.Committed, TimeSpan.FromSeconds(60));
        Assert.Equal(900, cluster.KillAndReadBalances(0)["erin"]);
        Assert.Equal(1100, cluster.KillAndReadBalances(1)["erin"]);
    }

    private static async Task WaitForOutputAsync(ServiceProcess process, string text)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (!process.Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow >= until) Assert.Fail($"{process.Name} never printed \"{text}\":\n{process.Output}");
            await Task.Delay(20);
        }
    }
}
