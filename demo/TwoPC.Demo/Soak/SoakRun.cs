using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using TwoPC.Demo.Cluster;
using TwoPC.Demo.Load;
using TwoPC.Demo.Protocol.V1;

namespace TwoPC.Demo.Soak;

/// <summary>
/// The bank nemesis soak: 2PC transfers on a hot spot at each concurrency level in turn while the <see cref="Nemesis"/>
/// kills the coordinator and now and then a bank; then, with every process up, checks that nothing stays in doubt
/// past twice the transaction timeout and compares every transfer with the banks (<see cref="LedgerCheck"/>).
/// </summary>
internal sealed class SoakRun(SoakOptions options, Binaries binaries, string dataDir, TextWriter output)
{
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        using var cluster = await BankCluster.StartAsync(binaries, dataDir, options.AccountsPerBank, options.InitialBalance, cancellationToken).ConfigureAwait(false);
        var stats = new SoakStats();
        var transfers = new SoakTransfers(cluster, options, stats);
        var wall = Stopwatch.GetTimestamp();

        using var stopNemesis = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var nemesis = new Nemesis(cluster, options, stats, new Random(options.Seed), output).RunAsync(stopNemesis.Token);
        var perLevel = new List<string>();
        var phaseLength = options.Duration / options.Concurrency.Count;
        for (var level = 0; level < options.Concurrency.Count; level++)
        {
            var concurrency = options.Concurrency[level];
            var before = stats.Transfers.Count;
            Say($"concurrency {concurrency} for {phaseLength.TotalSeconds:F0}s");
            var end = Stopwatch.GetTimestamp() + (long)(phaseLength.TotalSeconds * Stopwatch.Frequency);
            var phase = level;
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async w =>
            {
                await Task.Yield();
                var random = new Random(HashCode.Combine(options.Seed, phase, w));
                while (Stopwatch.GetTimestamp() < end && !cancellationToken.IsCancellationRequested)
                {
                    var t = transfers.Next(random);
                    stats.Transfers.Enqueue(t);
                    await transfers.RunAsync(t, cancellationToken).ConfigureAwait(false);
                    // A process is down: don't spin through thousands of failing transfers while it restarts.
                    if (t.Acknowledged == Acknowledged.NotCommitted) await Task.Delay(random.Next(50, 150), cancellationToken).ConfigureAwait(false);
                }
            })).ConfigureAwait(false);
            perLevel.Add(string.Create(CultureInfo.InvariantCulture, $"c{concurrency}={stats.Transfers.Count - before}"));
            Say($"concurrency {concurrency}: {stats.Transfers.Count - before} transfers");
        }

        var loadSeconds = Stopwatch.GetElapsedTime(wall).TotalSeconds;
        await stopNemesis.CancelAsync().ConfigureAwait(false);
        await nemesis.ConfigureAwait(false);

        // Nothing in doubt after twice the timeout: no open transaction at the coordinator, no prepared branch or lock at a bank.
        var limit = 2 * options.TransactionTimeout;
        var drained = Stopwatch.GetTimestamp();
        var settled = await SettleAsync(cluster, limit + TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        var drainTime = Stopwatch.GetElapsedTime(drained);
        var nothingInDoubt = settled && drainTime <= limit;
        if (!nothingInDoubt) Say($"VIOLATION still in doubt {drainTime.TotalSeconds:F1}s after the nemesis stopped (limit {limit.TotalSeconds:F0}s)");

        // Transfers whose Commit answer was lost (or that never reached Commit) learn their outcome from the coordinator.
        var all = stats.Transfers.ToList();
        foreach (var t in all.Where(t => t.TransactionId is not null && t.Acknowledged is Acknowledged.InDoubt or Acknowledged.NotCommitted && t.Resolved is null))
            t.Resolved = await SoakTransfers.ResolveAsync(cluster.Client, t.TransactionId!, new Patience(limit), cancellationToken).ConfigureAwait(false);
        var neverCommitButCommitted = all.Count(t => t.Acknowledged == Acknowledged.NotCommitted && t.Resolved == true);
        var unresolved = all.Count(t => t.Committed is null);

        var ledgers = new List<LedgerResponse>();
        foreach (var bank in cluster.Banks)
            ledgers.Add(await bank.Client.LedgerAsync(new LedgerRequest(), deadline: DateTime.UtcNow.AddSeconds(60), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false));
        var check = LedgerCheck.Run(all, ledgers, options.InitialBalance);
        foreach (var example in check.Examples) Say("VIOLATION " + example);
        foreach (var v in stats.Violations) Say("VIOLATION (during the run) " + v);

        var totalOk = check.Total == cluster.ExpectedTotal;
        var ok = totalOk && check.Clean && nothingInDoubt && unresolved == 0 && neverCommitButCommitted == 0 && stats.Violations.IsEmpty;
        Say(string.Join(' ', perLevel));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"SOAK duration_s={loadSeconds:F0} transfers={all.Count} committed={all.Count(t => t.Committed == true)} aborted={all.Count(t => t.Committed == false)} " +
            $"in_doubt_resolved={all.Count(t => t.Acknowledged == Acknowledged.InDoubt && t.Resolved is not null)} not_committed={all.Count(t => t.Acknowledged == Acknowledged.NotCommitted)} " +
            $"coordinator_kills={stats.CoordinatorKills} bank_kills={stats.BankKills} recoveries={stats.Recoveries} " +
            $"max_in_doubt_ms={stats.MaxInDoubtMs} max_recovery_ms={stats.MaxRecoveryMs} final_drain_ms={(long)drainTime.TotalMilliseconds} nothing_in_doubt={B(nothingInDoubt)} " +
            $"recovery_audits={stats.AuditsOk}/{stats.AuditsOk + stats.AuditsSkipped} total_ok={B(totalOk)} negative_balances={check.NegativeBalances} " +
            $"lost={check.Lost} duplicated={check.Duplicated} phantom={check.Phantom} balance_mismatches={check.BalanceMismatches} unresolved={unresolved} " +
            $"run_violations={stats.Violations.Count}"));
        return ok ? 0 : 1;
    }

    /// <summary>Waits until the coordinator lists no open transaction and no bank holds a prepared branch or a lock; false if that did not happen within <paramref name="wait"/>.</summary>
    private static async Task<bool> SettleAsync(BankCluster cluster, TimeSpan wait, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < wait)
        {
            try
            {
                var open = await Coordinator.OpenTransactionsAsync(cluster, cancellationToken).ConfigureAwait(false);
                var busy = false;
                foreach (var bank in cluster.Banks)
                {
                    var b = await bank.Client.BalancesAsync(new BalancesRequest(), deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                    busy |= b.LocksHeld > 0;
                }

                if (open.Count == 0 && !busy)
                {
                    // Prepared branches are read from each bank's branch log (heavier than Balances): only once idle.
                    var prepared = 0;
                    foreach (var bank in cluster.Banks)
                        prepared += (await bank.Client.LedgerAsync(new LedgerRequest(), deadline: DateTime.UtcNow.AddSeconds(60), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false)).PreparedBranches;
                    if (prepared == 0) return true;
                }
            }
            catch (RpcException)
            {
                // A process still starting: ask again.
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        return false;
    }

    private void Say(string text)
    {
        lock (output) output.WriteLine($"  [soak] {text}");
    }

    private static string B(bool b) => b ? "true" : "false";
}
