namespace TwoPC.Participant.Resources;

/// <summary>A resource's vote in phase 1.</summary>
public enum PrepareVote
{
    /// <summary>Ready to commit; the SDK forces a prepared record before answering.</summary>
    Prepared,

    /// <summary>Nothing changed; the branch takes no part in phase 2.</summary>
    ReadOnly,

    /// <summary>The branch cannot commit; the transaction must abort.</summary>
    Abort,
}
