namespace TwoPC.Client;

/// <summary>What <see cref="ITwoPcClient.RunInTransactionAsync{T}"/> returns: the delegate's value and the transaction's outcome.</summary>
/// <param name="Value">What the delegate returned.</param>
/// <param name="Outcome">Committed, or Aborted with the reason (a branch voted no, the transaction timed out).</param>
public sealed record TransactionResult<T>(T Value, TransactionOutcome Outcome)
{
    /// <summary>True when committed.</summary>
    public bool IsCommitted => Outcome.IsCommitted;
}
