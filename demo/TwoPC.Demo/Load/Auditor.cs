using Grpc.Core;
using TwoPC.Demo.Cluster;
using TwoPC.Demo.Protocol.V1;
using TwoPC.Client;

namespace TwoPC.Demo.Load;

/// <summary>
/// Sums every balance of both banks again and again while the transfers run, and counts the audits that saw a
/// total other than the money in the system.
/// <list type="bullet">
/// <item>2PC: each audit is a 2PC transaction with an "audit" branch on both banks. Their Prepare takes shared locks
/// on every account and reads the total; the locks are held until the audit's Commit, so both totals belong to
/// one serializable instant. After COMMITTED the runner fetches the two totals with the Bank.Sum RPC.</item>
/// <item>Saga: reads the Bank.Balances RPC of both banks, without locks: money between a debit and its credit (or
/// its compensation) is missing from the total.</item>
/// </list>
/// </summary>
internal sealed class Auditor(BankCluster cluster, DemoMode mode, RunStats stats)
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(20);

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var total = mode == DemoMode.TwoPhase ? await LockedTotalAsync(cluster, stop).ConfigureAwait(false) : (await cluster.ReadBalancesAsync(stop).ConfigureAwait(false)).Total;
                if (total is { } t)
                {
                    stats.CountAudit(violation: t != cluster.ExpectedTotal);
                    if (t != cluster.ExpectedTotal && mode == DemoMode.TwoPhase) stats.Event($"audit saw {t}, expected {cluster.ExpectedTotal}");
                }
                else
                {
                    stats.CountAuditFailed();
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is RpcException or TwoPcTransactionException or InvalidOperationException)
            {
                // A process is down: try again after the pause.
                stats.CountAuditFailed();
            }

            try
            {
                await Task.Delay(Pause, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One locked audit (see the class remarks): the total of both banks at one instant, or null if it aborted.</summary>
    public static async Task<long?> LockedTotalAsync(BankCluster cluster, CancellationToken cancellationToken)
    {
        var tx = await cluster.Client.BeginAsync(TimeSpan.FromSeconds(5), cancellationToken: cancellationToken).ConfigureAwait(false);
        await tx.EnlistAsync(cluster.A.Address, "audit", "audit"u8.ToArray(), "a", cancellationToken).ConfigureAwait(false);
        await tx.EnlistAsync(cluster.B.Address, "audit", "audit"u8.ToArray(), "b", cancellationToken).ConfigureAwait(false);
        var outcome = await tx.CommitAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!outcome.IsCommitted) return null;
        var a = await cluster.A.Client.SumAsync(new SumRequest { AuditTransactionId = tx.Id }, deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellationToken).ConfigureAwait(false);
        var b = await cluster.B.Client.SumAsync(new SumRequest { AuditTransactionId = tx.Id }, deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellationToken).ConfigureAwait(false);
        return a.Found && b.Found ? a.Total + b.Total : null;
    }
}
