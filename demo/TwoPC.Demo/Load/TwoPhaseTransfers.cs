using TwoPC.Demo.Cluster;
using TwoPC.Client;

namespace TwoPC.Demo.Load;

/// <summary>
/// A transfer as one 2PC transaction: branch "accounts" on the source bank (-amount) and on the target bank
/// (+amount). A lost Commit reply is resolved by polling GetTransaction until the coordinator has decided. A
/// transfer aborted only because an account was locked (by an audit or a crossing transfer) is retried as a new
/// transaction, a few times; other aborts (insufficient funds, a crash) are final.
/// </summary>
internal sealed class TwoPhaseTransfers(BankCluster cluster, TimeSpan budget) : ITransferExecutor
{
    private const int LockConflictAttempts = 10;

    public async Task<TransferOutcome> RunAsync(Transfer t, Action inDoubt, CancellationToken cancellationToken)
    {
        var patience = new Patience(budget);
        for (var attempt = 1; ; attempt++)
        {
            var (outcome, lockConflict) = await AttemptAsync(t, patience, inDoubt, cancellationToken).ConfigureAwait(false);
            if (!lockConflict || attempt == LockConflictAttempts || patience.Expired) return outcome;
            await Task.Delay(Random.Shared.Next(5, 10 * attempt), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<(TransferOutcome Outcome, bool LockConflict)> AttemptAsync(Transfer t, Patience patience, Action inDoubt, CancellationToken cancellationToken)
    {
        var (from, to) = t.AToB ? (cluster.A, cluster.B) : (cluster.B, cluster.A);
        DistributedTransaction tx;
        try
        {
            tx = await RetryAsync(() => cluster.ClientFor(t.Index).BeginAsync(TimeSpan.FromSeconds(10), cancellationToken: cancellationToken), patience, inDoubt, cancellationToken).ConfigureAwait(false);
            await RetryAsync(() => tx.EnlistAsync(from.Address, "accounts", BankPayload.Format(t.FromAccount, -t.Amount), "debit", cancellationToken), patience, inDoubt, cancellationToken).ConfigureAwait(false);
            await RetryAsync(() => tx.EnlistAsync(to.Address, "accounts", BankPayload.Format(t.ToAccount, t.Amount), "credit", cancellationToken), patience, inDoubt, cancellationToken).ConfigureAwait(false);
        }
        catch (TransactionAbortedException)
        {
            // The coordinator forgot the undecided transaction (it restarted): presumed abort.
            return (TransferOutcome.Aborted, false);
        }
        catch (TransactionRetryLaterException)
        {
            // Out of patience before Commit: nothing can commit without it (the coordinator's timeout aborts it).
            return (TransferOutcome.Aborted, false);
        }
        catch (TransactionConflictException)
        {
            // The transaction stopped taking branches before Commit was sent: in a cluster, its instance died and the
            // instance that took it over aborted it. Nothing can commit without a Commit.
            return (TransferOutcome.Aborted, false);
        }

        try
        {
            var outcome = await tx.CommitAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return outcome.IsCommitted
                ? (TransferOutcome.Committed, false)
                : (TransferOutcome.Aborted, outcome.Reason.Contains("locked", StringComparison.Ordinal));
        }
        catch (TransactionAbortedException)
        {
            return (TransferOutcome.Aborted, false);
        }
        catch (TransactionInDoubtException)
        {
            inDoubt();
            return (await ResolveAsync(cluster.Client, tx.Id, patience, cancellationToken).ConfigureAwait(false), false);
        }
    }

    /// <summary>Asks the coordinator until the transaction is decided; no record means presumed abort.</summary>
    public static async Task<TransferOutcome> ResolveAsync(TwoPcClient client, string transactionId, Patience patience, CancellationToken cancellationToken)
    {
        do
        {
            try
            {
                var status = await client.GetTransactionAsync(transactionId, cancellationToken).ConfigureAwait(false);
                if (status.Outcome == TransactionOutcomeKind.Committed) return TransferOutcome.Committed;
                if (status.Outcome == TransactionOutcomeKind.Aborted) return TransferOutcome.Aborted;
            }
            catch (TransactionNotFoundException)
            {
                return TransferOutcome.Aborted;
            }
            catch (TransactionRetryLaterException)
            {
                // Coordinator down: ask again.
            }
        }
        while (await patience.WaitAsync(cancellationToken).ConfigureAwait(false));

        return TransferOutcome.Unresolved;
    }

    private static async Task<T> RetryAsync<T>(Func<Task<T>> call, Patience patience, Action inDoubt, CancellationToken cancellationToken)
    {
        var first = true;
        while (true)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (TransactionRetryLaterException) when (!patience.Expired)
            {
                if (first) inDoubt();
                first = false;
                if (!await patience.WaitAsync(cancellationToken).ConfigureAwait(false)) throw;
            }
        }
    }
}
