using System.Diagnostics;
using Grpc.Core;
using TwoPC.Demo.Cluster;
using TwoPC.Demo.Load;
using TwoPC.Client;

namespace TwoPC.Demo.Soak;

/// <summary>
/// Kills the coordinator (SIGKILL) every KillMin..KillMax and restarts it on the same port and log; every third
/// round, starting with the second, it also kills a random bank. After each restart it checks the recovery (see
/// <see cref="CheckRecoveryAsync"/>) before it sleeps again.
/// </summary>
internal sealed class Nemesis(BankCluster cluster, SoakOptions options, SoakStats stats, Random random, TextWriter output)
{
    public async Task RunAsync(CancellationToken stop)
    {
        for (var round = 0; ; round++)
        {
            var pause = options.KillMin + TimeSpan.FromMilliseconds(random.NextDouble() * (options.KillMax - options.KillMin).TotalMilliseconds);
            try
            {
                await Task.Delay(pause, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            // Once started, a restart and its check finish even if the load has stopped: the final checks need every process up.
            var down = await cluster.RestartCoordinatorAsync(CancellationToken.None).ConfigureAwait(false);
            stats.CountCoordinatorKill();
            Report($"killed coordinator, back after {down.TotalSeconds:F1}s");
            await CheckRecoveryAsync("coordinator").ConfigureAwait(false);

            if (round % 3 != 1) continue;
            var bank = cluster.Banks[random.Next(2)];
            down = await cluster.RestartBankAsync(bank, CancellationToken.None).ConfigureAwait(false);
            stats.CountBankKill();
            Report($"killed {bank.Name}, back after {down.TotalSeconds:F1}s");
            await CheckRecoveryAsync(bank.Name).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// After a restart: every transaction the coordinator lists as undecided or still in phase 2 at this moment must
    /// be final within twice the transaction timeout; no balance may be negative; and a locked audit (shared locks
    /// on every account of both banks) must see the exact total, if one gets through the hot-spot lock traffic.
    /// </summary>
    private async Task CheckRecoveryAsync(string restarted)
    {
        var started = Stopwatch.GetTimestamp();
        var limit = 2 * options.TransactionTimeout;
        try
        {
            var open = (await Coordinator.OpenTransactionsAsync(cluster, CancellationToken.None).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
            while (open.Count > 0 && Stopwatch.GetElapsedTime(started) < limit)
            {
                await Task.Delay(200).ConfigureAwait(false);
                open.IntersectWith(await Coordinator.OpenTransactionsAsync(cluster, CancellationToken.None).ConfigureAwait(false));
            }

            var took = Stopwatch.GetElapsedTime(started);
            if (open.Count > 0) Violation($"after the {restarted} restart, {open.Count} transactions not final after {took.TotalSeconds:F1}s (limit {limit.TotalSeconds:F0}s), e.g. {open.First()}");
            else stats.CountRecovery(took);

            foreach (var bank in cluster.Banks)
            {
                var ledger = await bank.Client.LedgerAsync(new Protocol.V1.LedgerRequest(), deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync.ConfigureAwait(false);
                var negative = ledger.Balances.Count(b => b < 0);
                if (negative > 0) Violation($"after the {restarted} restart, {bank.Name} has {negative} negative balances");
            }

            for (var attempt = 0; attempt < 10; attempt++)
            {
                if (await TryAuditAsync().ConfigureAwait(false) is not { } total) continue;
                stats.CountAudit(done: true);
                if (total != cluster.ExpectedTotal) Violation($"after the {restarted} restart, a locked audit saw {total}, expected {cluster.ExpectedTotal}");
                return;
            }

            stats.CountAudit(done: false);
        }
        catch (RpcException ex)
        {
            Violation($"after the {restarted} restart, a check could not reach a process: {ex.Status.StatusCode} {ex.Status.Detail}");
        }
    }

    private async Task<long?> TryAuditAsync()
    {
        try
        {
            return await Auditor.LockedTotalAsync(cluster, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RpcException or TwoPcTransactionException or InvalidOperationException)
        {
            await Task.Delay(100).ConfigureAwait(false);
            return null;
        }
    }

    private void Violation(string text)
    {
        stats.Violations.Enqueue(text);
        Report("VIOLATION " + text);
    }

    private void Report(string text)
    {
        lock (output) output.WriteLine($"  [nemesis] {text}");
    }
}
