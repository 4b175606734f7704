namespace TwoPC.Coordinator.Protocols.TwoPhase;

/// <summary>The answer to Commit or Abort.</summary>
/// <param name="Committed">True for COMMITTED, false for ABORTED.</param>
/// <param name="Reason">Why it aborted.</param>
/// <param name="State">The transaction's state when answering.</param>
public readonly record struct CommitResult(bool Committed, string? Reason, Transactions.TransactionState State);
