namespace TwoPC.Coordinator.Transactions;

/// <summary>Lifecycle of a transaction. Values match <c>twopc.v1.TransactionState</c>.</summary>
public enum TransactionState
{
    /// <summary>2PC: begun; branches may enlist. Never forced to disk (presumed abort).</summary>
    Active = 1,

    /// <summary>2PC: Prepare sent, votes outstanding, no decision.</summary>
    Preparing = 2,

    /// <summary>2PC: the commit decision is durable; Commit is being delivered.</summary>
    Committing = 3,

    /// <summary>2PC: the abort decision is taken; Abort is being delivered.</summary>
    Aborting = 4,

    /// <summary>2PC: committed, every branch acknowledged.</summary>
    Committed = 5,

    /// <summary>2PC: aborted, every branch acknowledged.</summary>
    Aborted = 6,

    /// <summary>Saga: running forward.</summary>
    SagaRunning = 10,

    /// <summary>Saga: compensating completed steps.</summary>
    SagaCompensating = 11,

    /// <summary>Saga: target state reached.</summary>
    SagaCompleted = 12,

    /// <summary>Saga: rolled back to the start state.</summary>
    SagaCompensated = 13,

    /// <summary>
    /// Saga: a compensation failed past its limit. Parked, not finished: the coordinator retries it every
    /// <c>ParkedSagaRetryInterval</c> with a fresh budget, an operator can resume it at once, and it is never forgotten.
    /// </summary>
    SagaNeedsAttention = 14,
}

/// <summary>Classifies states (Orleans' <c>TransactionalStatus</c> style).</summary>
public static class TransactionStateExtensions
{
    /// <summary>A commit decision exists: the transaction can only ever commit.</summary>
    public static bool IsCommitDecided(this TransactionState state) => state is TransactionState.Committing or TransactionState.Committed;

    /// <summary>An abort decision exists: the transaction can only ever abort.</summary>
    public static bool IsAbortDecided(this TransactionState state) => state is TransactionState.Aborting or TransactionState.Aborted;

    /// <summary>A 2PC decision exists.</summary>
    public static bool IsDecided(this TransactionState state) => state.IsCommitDecided() || state.IsAbortDecided();

    /// <summary>
    /// Nothing is left to do: all branches acknowledged, or the saga completed or compensated. Only finished records
    /// are forgotten, and restart recovery resumes every other one. A parked saga (NEEDS_ATTENTION) is not finished:
    /// its compensations are still owed.
    /// </summary>
    public static bool IsFinished(this TransactionState state) => state is TransactionState.Committed or TransactionState.Aborted
        or TransactionState.SagaCompleted or TransactionState.SagaCompensated;
}
