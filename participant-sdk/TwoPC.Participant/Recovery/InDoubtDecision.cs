using P = TwoPC.Protocol.V1;

namespace TwoPC.Participant.Recovery;

/// <summary>What the coordinator's record means for an in-doubt branch.</summary>
internal enum InDoubtDecision
{
    /// <summary>No decision yet (ACTIVE, PREPARING, PENDING): ask again later.</summary>
    Pending,

    /// <summary>COMMITTING or COMMITTED: apply commit.</summary>
    Commit,

    /// <summary>ABORTING or ABORTED (including presumed abort): apply abort.</summary>
    Abort,
}

/// <summary>Classifies a coordinator answer.</summary>
internal static class InDoubtClassifier
{
    public static InDoubtDecision Classify(P.TransactionInfo info) => info.State switch
    {
        P.TransactionState.Committing or P.TransactionState.Committed => InDoubtDecision.Commit,
        P.TransactionState.Aborting or P.TransactionState.Aborted => InDoubtDecision.Abort,
        _ => info.Outcome switch
        {
            P.Outcome.Committed => InDoubtDecision.Commit,
            P.Outcome.Aborted => InDoubtDecision.Abort,
            _ => InDoubtDecision.Pending,
        },
    };
}
