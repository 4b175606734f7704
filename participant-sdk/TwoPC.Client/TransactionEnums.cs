namespace TwoPC.Client;

// The numeric values match twopc.v1 (common.proto / coordinator.proto), so mapping is a cast.

/// <summary>How a transaction reaches its outcome.</summary>
public enum TransactionMode
{
    /// <summary>Not set.</summary>
    Unspecified = 0,

    /// <summary>Two-phase commit.</summary>
    TwoPhase = 1,

    /// <summary>Saga.</summary>
    Saga = 2,
}

/// <summary>Lifecycle of a transaction as the coordinator sees it.</summary>
public enum TransactionState
{
    /// <summary>Not set.</summary>
    Unspecified = 0,
    /// <summary>2PC: begun, branches may still enlist.</summary>
    Active = 1,
    /// <summary>2PC: waiting for votes; no decision yet.</summary>
    Preparing = 2,
    /// <summary>2PC: COMMIT decided durably; phase 2 running.</summary>
    Committing = 3,
    /// <summary>2PC: ABORT decided; phase 2 running.</summary>
    Aborting = 4,
    /// <summary>2PC: committed and acknowledged by every branch.</summary>
    Committed = 5,
    /// <summary>2PC: aborted and acknowledged by every branch.</summary>
    Aborted = 6,
    /// <summary>Saga: running forward.</summary>
    SagaRunning = 10,
    /// <summary>Saga: compensating.</summary>
    SagaCompensating = 11,
    /// <summary>Saga: completed.</summary>
    SagaCompleted = 12,
    /// <summary>Saga: compensated.</summary>
    SagaCompensated = 13,
    /// <summary>Saga: parked for an operator.</summary>
    SagaNeedsAttention = 14,
}

/// <summary>The outcome of a 2PC transaction.</summary>
public enum TransactionOutcomeKind
{
    /// <summary>Not set.</summary>
    Unspecified = 0,
    /// <summary>Committed.</summary>
    Committed = 1,
    /// <summary>Aborted.</summary>
    Aborted = 2,
    /// <summary>Not decided yet.</summary>
    Pending = 3,
}

/// <summary>
/// A 2PC vote: a resource's answer to Prepare on the participant side, and a branch's vote as the coordinator
/// recorded it (<see cref="BranchStatusInfo.Vote"/>). Mirrors <c>twopc.v1.Vote</c>, names and numbers.
/// </summary>
public enum Vote
{
    /// <summary>No vote (yet): the coordinator has not heard from the branch. Never a valid answer to Prepare.</summary>
    Unspecified = 0,
    /// <summary>Yes: the branch's changes are durably prepared and it will commit or abort as the coordinator decides.</summary>
    Prepared = 1,
    /// <summary>The branch changed nothing; it needs no phase 2 and takes no part in the decision.</summary>
    ReadOnly = 2,
    /// <summary>No: the branch cannot commit; the transaction aborts.</summary>
    Abort = 3,
}

/// <summary>State of one branch (2PC) or step (saga) as the coordinator recorded it.</summary>
public enum BranchState
{
    /// <summary>Not set.</summary>
    Unspecified = 0,
    /// <summary>2PC: enlisted.</summary>
    Enlisted = 1,
    /// <summary>2PC: voted PREPARED.</summary>
    Prepared = 2,
    /// <summary>2PC: voted READ_ONLY.</summary>
    ReadOnly = 3,
    /// <summary>2PC: voted ABORT or failed in Prepare.</summary>
    VotedAbort = 4,
    /// <summary>2PC: acknowledged Commit.</summary>
    Committed = 5,
    /// <summary>2PC: acknowledged Abort.</summary>
    Aborted = 6,
    /// <summary>Saga: not started.</summary>
    StepPending = 10,
    /// <summary>Saga: running.</summary>
    StepRunning = 11,
    /// <summary>Saga: succeeded.</summary>
    StepSucceeded = 12,
    /// <summary>Saga: failed definitively.</summary>
    StepFailed = 13,
    /// <summary>Saga: skipped.</summary>
    StepSkipped = 14,
    /// <summary>Saga: compensating.</summary>
    StepCompensating = 15,
    /// <summary>Saga: compensated.</summary>
    StepCompensated = 16,
    /// <summary>Saga: compensation failed past its limit.</summary>
    StepCompensationFailed = 17,
    /// <summary>Saga: an optional step without compensation whose action may or may not have run (no answer).</summary>
    StepOutcomeUnknown = 18,
}

/// <summary>How a saga ended (or that it is still running).</summary>
public enum SagaOutcome
{
    /// <summary>Not set.</summary>
    Unspecified = 0,
    /// <summary>Still running.</summary>
    Running = 1,
    /// <summary>Every required step succeeded.</summary>
    Completed = 2,
    /// <summary>A required step failed and completed steps were compensated.</summary>
    Compensated = 3,
    /// <summary>A compensation kept failing; an operator must look.</summary>
    NeedsAttention = 4,
}
