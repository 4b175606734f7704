using TwoPC.Client;
using TwoPC.Samples.Bank;

namespace TwoPC.Samples.Caller;

/// <summary>Moves money between two banks as one distributed transaction.</summary>
public sealed class TransferCaller(ITwoPcClient client)
{
    /// <summary>Debits <paramref name="from"/> at bank A and credits <paramref name="to"/> at bank B, all or nothing.</summary>
    public async Task<TransactionOutcome> TransferAsync(Uri bankA, Uri bankB, string from, string to, long amount, CancellationToken cancellationToken)
    {
        // begin-snippet: transfer
        var outcome = await client.RunInTransactionAsync(async (tx, ct) =>
        {
            await tx.EnlistAsync(bankA, "accounts", new Transfer(from, -amount), ct);
            await tx.EnlistAsync(bankB, "accounts", new Transfer(to, amount), ct);
        }, new TransactionRunOptions { Timeout = TimeSpan.FromSeconds(10) }, cancellationToken);  // aborts if the delegate throws
        // outcome.IsCommitted, or definitely aborted with outcome.Reason ("insufficient funds in alice"): nothing changed.
        // TransactionInDoubtException: the answer was lost; the outcome is decided, ask GetTransactionAsync later.
        return outcome;
        // end-snippet
    }
}
