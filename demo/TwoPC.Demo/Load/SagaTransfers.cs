using TwoPC.Demo.Cluster;
using TwoPC.Client;

namespace TwoPC.Demo.Load;

/// <summary>
/// A transfer as a saga: step "debit" on the source bank, then step "credit" on the target bank; balances change at
/// once. A lost reply (or a coordinator that cannot be reached) is handled by running the saga again with the same
/// idempotency key, which returns the same saga.
/// </summary>
internal sealed class SagaTransfers(BankCluster cluster, string runId, TimeSpan budget) : ITransferExecutor
{
    public async Task<TransferOutcome> RunAsync(Transfer t, Action inDoubt, CancellationToken cancellationToken)
    {
        var patience = new Patience(budget);
        var (from, to) = t.AToB ? (cluster.A, cluster.B) : (cluster.B, cluster.A);
        var debit = BankPayload.Format(t.FromAccount, t.Amount);
        var credit = BankPayload.Format(t.ToAccount, t.Amount);
        // Enough attempts to ride out a bank restart.
        static void Steady(SagaStepOptions o) => o.Retry(40, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(500));
        do
        {
            try
            {
                var result = await cluster.ClientFor(t.Index).Saga()
                    .IdempotencyKey($"{runId}-{t.Index}")
                    .Step("debit", from.Address, "debit", debit, debit, Steady)
                    .Step("credit", to.Address, "credit", credit, credit, Steady)
                    .RunAsync(cancellationToken).ConfigureAwait(false);
                switch (result.Outcome)
                {
                    case SagaOutcome.Completed: return TransferOutcome.Committed;
                    case SagaOutcome.Compensated: return TransferOutcome.Aborted;
                    case SagaOutcome.NeedsAttention: return TransferOutcome.Unresolved;
                }
            }
            catch (Exception ex) when (IsTransient(ex))
            {
                inDoubt();
            }
        }
        while (await patience.WaitAsync(cancellationToken).ConfigureAwait(false));

        return TransferOutcome.Unresolved;
    }

    // In doubt or unreachable: retry with the same key. The coordinator checks the steps' participants before it
    // records a saga; a bank that is down is answered "retry later" (it did not answer Describe; nothing ran).
    private static bool IsTransient(Exception ex) => ex is TransactionInDoubtException or TransactionRetryLaterException;
}
