namespace TwoPC.Client;

/// <summary>The coordinator's answer to Commit or Abort.</summary>
/// <param name="Kind">Committed or Aborted.</param>
/// <param name="Reason">Why the transaction aborted; empty when committed.</param>
/// <param name="State">The transaction state when the coordinator answered.</param>
public sealed record TransactionOutcome(TransactionOutcomeKind Kind, string Reason, TransactionState State)
{
    /// <summary>True when committed.</summary>
    public bool IsCommitted => Kind == TransactionOutcomeKind.Committed;
}
