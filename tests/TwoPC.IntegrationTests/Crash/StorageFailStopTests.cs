using TwoPC.IntegrationTests.Support;
using TwoPC.Client;

namespace TwoPC.IntegrationTests.Crash;

/// <summary>
/// A participant whose disk fails the flush of its committed record: the store fail-stops the real process (a
/// non-zero exit, no retry answered from memory), and after a restart the commit is applied exactly once.
/// </summary>
public sealed class StorageFailStopTests
{
    [Fact]
    public async Task CommitRecordFlushFails_TheParticipantProcessStops_AndAfterRestartTheCommitIsAppliedOnce()
    {
        await using var cluster = await Cluster.StartAsync(2, participantArgs: i => i == 0 ? ["--Ledger:FailFlushAtCommit=true"] : []);
        var tx = await cluster.BeginTransferAsync("erin", 100);

        Assert.True((await tx.CommitAsync()).IsCommitted);
        var stopped = cluster.Participants[0];
        await stopped.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, stopped.ExitCode);
        Assert.Contains("FAULT flush", stopped.Output);
        Assert.Contains("fail-stop", stopped.Output);

        stopped.ExtraArgs.Add("--Ledger:FailFlushAtCommit=false");
        await stopped.StartAsync();
        await cluster.WaitForStateAsync(tx.Id, TransactionState.Committed, TimeSpan.FromSeconds(30));

        // Rebuilt from disk and committed once: 1000 - 100, never 1000 - 200.
        Assert.Equal(900, cluster.KillAndReadBalances(0)["erin"]);
        Assert.Equal(1100, cluster.KillAndReadBalances(1)["erin"]);
    }
}
