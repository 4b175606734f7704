namespace TwoPC.Coordinator.Transactions;

/// <summary>How a transaction reaches its outcome.</summary>
public enum TransactionMode
{
    /// <summary>Two-phase commit with presumed abort.</summary>
    TwoPhase = 1,

    /// <summary>Saga: local commits undone by compensations.</summary>
    Saga = 2,
}
