using System.Diagnostics;
using TwoPC.Demo.Cluster;

namespace TwoPC.Demo.Load;

/// <summary>One mode's run on a fresh cluster: workers, auditor and fault injector, then the final checks.</summary>
internal sealed class ModeRun(DemoOptions options, DemoMode mode, Binaries binaries, string dataDir, TextWriter output, string? postgreSql = null)
{
    private static readonly TimeSpan TransferBudget = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    public static string Name(DemoMode mode) => mode == DemoMode.TwoPhase ? "2pc" : "saga";

    public async Task<RunStats> RunAsync(CancellationToken cancellationToken)
    {
        var stats = new RunStats(options.Transfers);
        using var cluster = await BankCluster.StartAsync(binaries, dataDir, options.Accounts, options.InitialBalance, cancellationToken, options.Instances, postgreSql).ConfigureAwait(false);
        ITransferExecutor executor = mode == DemoMode.TwoPhase
            ? new TwoPhaseTransfers(cluster, TransferBudget)
            : new SagaTransfers(cluster, Guid.NewGuid().ToString("N"), TransferBudget);

        using var stopBackground = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var auditor = new Auditor(cluster, mode, stats).RunAsync(stopBackground.Token);
        var faults = options.Faults ? new FaultInjector(cluster, stats, output).RunAsync(stopBackground.Token) : Task.CompletedTask;
        var progress = ProgressAsync(stats, stopBackground.Token);

        var started = Stopwatch.GetTimestamp();
        var next = -1;
        var workers = Enumerable.Range(0, options.Concurrency).Select(async _ =>
        {
            await Task.Yield();
            for (var i = Interlocked.Increment(ref next); i < options.Transfers; i = Interlocked.Increment(ref next))
            {
                var transfer = Transfer.Create(i, options.Seed, options.Accounts, options.InitialBalance, overdraws: options.Faults);
                var begun = Stopwatch.GetTimestamp();
                var faulted = false;
                var outcome = await executor.RunAsync(transfer, () =>
                {
                    if (!faulted) stats.CountInDoubt();
                    faulted = true;
                }, cancellationToken).ConfigureAwait(false);
                stats.Record(i, outcome, Stopwatch.GetElapsedTime(begun));
            }
        }).ToList();
        await Task.WhenAll(workers).ConfigureAwait(false);
        stats.Elapsed = Stopwatch.GetElapsedTime(started);

        // A fault still in progress (a slow restart) finishes before the checks; then stop the auditor.
        await faults.ConfigureAwait(false);
        await stopBackground.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(auditor, progress).ConfigureAwait(false);

        stats.FinalTotal = await SettledTotalAsync(cluster, cancellationToken).ConfigureAwait(false);
        return stats;
    }

    /// <summary>
    /// The total once phase 2 has finished everywhere (no lock held; sagas hold none), waiting up to DrainTimeout;
    /// null if the banks could not be read.
    /// </summary>
    private static async Task<long?> SettledTotalAsync(BankCluster cluster, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(DrainTimeout.TotalSeconds * Stopwatch.Frequency);
        (long Total, int LocksHeld)? last = null;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            try
            {
                last = await cluster.ReadBalancesAsync(cancellationToken).ConfigureAwait(false);
                if (last.Value.LocksHeld == 0) return last.Value.Total;
            }
            catch (Grpc.Core.RpcException)
            {
                // Still restarting: read again.
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        return last?.Total;
    }

    private async Task ProgressAsync(RunStats stats, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var started = Stopwatch.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                lock (output)
                {
                    output.WriteLine($"  [{Name(mode),-4}] {Stopwatch.GetElapsedTime(started).TotalSeconds,5:F1}s  {stats.Finished,6}/{stats.Transfers}  " +
                                     $"committed={stats.Committed} aborted={stats.Aborted} unresolved={stats.Unresolved} in_doubt={stats.InDoubt}  " +
                                     $"audits={stats.Audits} violations={stats.AuditViolations}");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Run over.
        }
    }
}
