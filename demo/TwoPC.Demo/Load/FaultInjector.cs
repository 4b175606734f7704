using TwoPC.Demo.Cluster;

namespace TwoPC.Demo.Load;

/// <summary>
/// Crashes on purpose while the transfers run: at a third of them bank-b is killed (Process.Kill) and restarted,
/// at two thirds the coordinator. Both come back on the same port and data file. In a cluster, the second fault kills
/// coordinator instance 2 for good instead: the other instances take over its transactions.
/// </summary>
internal sealed class FaultInjector(BankCluster cluster, RunStats stats, TextWriter output)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await WhenFinishedAsync(stats.Transfers / 3, cancellationToken).ConfigureAwait(false);
        var at = stats.Finished;
        var down = await cluster.RestartBankAsync(cluster.B, cancellationToken).ConfigureAwait(false);
        Report($"killed bank-b at {at}/{stats.Transfers}, back after {down.TotalSeconds:F1}s");

        await WhenFinishedAsync(stats.Transfers * 2 / 3, cancellationToken).ConfigureAwait(false);
        at = stats.Finished;
        if (cluster.Instances.Count > 1)
        {
            cluster.KillInstance(1);
            Report($"killed coordinator instance 2 of {cluster.Instances.Count} for good at {at}/{stats.Transfers}; the others take over its transactions");
            return;
        }

        down = await cluster.RestartCoordinatorAsync(cancellationToken).ConfigureAwait(false);
        Report($"killed coordinator at {at}/{stats.Transfers}, back after {down.TotalSeconds:F1}s");
    }

    private void Report(string text)
    {
        stats.Event(text);
        lock (output) output.WriteLine($"  [fault] {text}");
    }

    private async Task WhenFinishedAsync(int count, CancellationToken cancellationToken)
    {
        while (stats.Finished < count) await Task.Delay(10, cancellationToken).ConfigureAwait(false);
    }
}
