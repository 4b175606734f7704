namespace TwoPC.Participant.Storage;

/// <summary>What the participant recorded for one 2PC branch.</summary>
public enum BranchStatus
{
    /// <summary>Voted PREPARED; the record is forced; in doubt until Commit or Abort.</summary>
    Prepared = 1,

    /// <summary>Voted READ_ONLY.</summary>
    ReadOnly = 2,

    /// <summary>Voted ABORT.</summary>
    VotedAbort = 3,

    /// <summary>Committed (forced).</summary>
    Committed = 4,

    /// <summary>Aborted after being prepared, or tombstone of an Abort that arrived before Prepare (forced).</summary>
    Aborted = 5,
}
