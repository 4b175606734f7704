namespace TwoPC.Coordinator.Transactions;

/// <summary>A branch's answer to Prepare.</summary>
public enum Vote
{
    /// <summary>No vote received (yet).</summary>
    None = 0,

    /// <summary>Durably prepared.</summary>
    Prepared = 1,

    /// <summary>Changed nothing.</summary>
    ReadOnly = 2,

    /// <summary>Cannot commit.</summary>
    Abort = 3,
}
