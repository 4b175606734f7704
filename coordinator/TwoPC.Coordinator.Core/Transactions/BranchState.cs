namespace TwoPC.Coordinator.Transactions;

/// <summary>State of a 2PC branch or a saga step. Values match <c>twopc.v1.BranchState</c>.</summary>
public enum BranchState
{
    /// <summary>Enlisted, not asked to prepare.</summary>
    Enlisted = 1,

    /// <summary>Voted PREPARED.</summary>
    Prepared = 2,

    /// <summary>Voted READ_ONLY: no phase 2.</summary>
    ReadOnly = 3,

    /// <summary>Voted ABORT, failed or timed out in Prepare.</summary>
    VotedAbort = 4,

    /// <summary>Acknowledged Commit.</summary>
    Committed = 5,

    /// <summary>Acknowledged Abort.</summary>
    Aborted = 6,

    /// <summary>Saga step not started.</summary>
    StepPending = 10,

    /// <summary>Saga step action sent; outcome unknown.</summary>
    StepRunning = 11,

    /// <summary>Saga step action succeeded.</summary>
    StepSucceeded = 12,

    /// <summary>Saga step failed definitively.</summary>
    StepFailed = 13,

    /// <summary>Saga step never ran (the saga rolled back first).</summary>
    StepSkipped = 14,

    /// <summary>Saga step compensation in flight.</summary>
    StepCompensating = 15,

    /// <summary>Saga step compensated.</summary>
    StepCompensated = 16,

    /// <summary>Saga step compensation failed past its limit.</summary>
    StepCompensationFailed = 17,

    /// <summary>
    /// Optional saga step without a compensation whose attempts ran out unanswered: the action may or may not have
    /// run, and nothing can undo it. Set when the saga ends.
    /// </summary>
    StepOutcomeUnknown = 18,
}
