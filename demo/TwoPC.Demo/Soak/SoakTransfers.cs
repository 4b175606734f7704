using System.Diagnostics;
using TwoPC.Demo.Cluster;
using TwoPC.Demo.Load;
using TwoPC.Client;

namespace TwoPC.Demo.Soak;

/// <summary>
/// Generates and runs the soak's transfers: one 2PC attempt each (no retry as a new transaction, so one transfer is
/// one transaction id), hot-spot biased. A lost Commit answer is resolved by asking GetTransaction.
/// </summary>
internal sealed class SoakTransfers(BankCluster cluster, SoakOptions options, SoakStats stats)
{
    public TransferRecord Next(Random random)
    {
        var fromBank = random.Next(2);
        var toBank = 1 - fromBank;
        int Cold() => 1 + random.Next(options.AccountsPerBank - 1);
        var (from, to) = (Cold(), Cold());
        if (random.Next(100) < options.HotPercent)
        {
            // Account 0 of each bank is hot: the transfer takes from it, gives to it, or both.
            switch (random.Next(3))
            {
                case 0: from = 0; break;
                case 1: to = 0; break;
                default: (from, to) = (0, 0); break;
            }
        }

        return new TransferRecord(fromBank, from, toBank, to, random.Next(1, 101));
    }

    public async Task RunAsync(TransferRecord t, CancellationToken cancellationToken)
    {
        var (from, to) = (cluster.Banks[t.FromBank], cluster.Banks[t.ToBank]);
        DistributedTransaction tx;
        try
        {
            tx = await cluster.Client.BeginAsync(options.TransactionTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TwoPcTransactionException or ArgumentException or InvalidOperationException)
        {
            t.Acknowledged = Acknowledged.NotCommitted;
            return;
        }

        t.TransactionId = tx.Id;
        try
        {
            await tx.EnlistAsync(from.Address, "accounts", BankPayload.Format(t.FromAccount, -t.Amount), "debit", cancellationToken).ConfigureAwait(false);
            await tx.EnlistAsync(to.Address, "accounts", BankPayload.Format(t.ToAccount, t.Amount), "credit", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TwoPcTransactionException or ArgumentException or InvalidOperationException)
        {
            // Commit is never called: the coordinator's timeout (or its restart) aborts it.
            t.Acknowledged = Acknowledged.NotCommitted;
            return;
        }

        try
        {
            var outcome = await tx.CommitAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            t.Acknowledged = outcome.IsCommitted ? Acknowledged.Committed : Acknowledged.Aborted;
        }
        catch (TransactionAbortedException)
        {
            t.Acknowledged = Acknowledged.Aborted;
        }
        catch (Exception ex) when (ex is TwoPcTransactionException or InvalidOperationException)
        {
            t.Acknowledged = Acknowledged.InDoubt;
            var since = Stopwatch.GetTimestamp();
            t.Resolved = await ResolveAsync(cluster.Client, tx.Id, new Patience(3 * options.TransactionTimeout), cancellationToken).ConfigureAwait(false);
            if (t.Resolved is not null) stats.InDoubtFor(Stopwatch.GetElapsedTime(since));
        }
    }

    /// <summary>Asks the coordinator until it has decided: true committed, false aborted (or no record: presumed abort), null out of patience.</summary>
    public static async Task<bool?> ResolveAsync(TwoPcClient client, string transactionId, Patience patience, CancellationToken cancellationToken)
    {
        do
        {
            switch (await TwoPhaseTransfers.ResolveAsync(client, transactionId, new Patience(TimeSpan.Zero), cancellationToken).ConfigureAwait(false))
            {
                case TransferOutcome.Committed: return true;
                case TransferOutcome.Aborted: return false;
            }
        }
        while (await patience.WaitAsync(cancellationToken).ConfigureAwait(false));

        return null;
    }
}
