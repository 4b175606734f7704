namespace TwoPC.Participant.Resources;

/// <summary>The answer of <see cref="ITransactionalResource.PrepareAsync"/>.</summary>
public sealed class PrepareResult
{
    private PrepareResult(PrepareVote vote, string reason, byte[]? state)
    {
        Vote = vote;
        Reason = reason;
        State = state;
    }

    /// <summary>The vote.</summary>
    public PrepareVote Vote { get; }

    /// <summary>Why the resource voted <see cref="PrepareVote.Abort"/>; empty otherwise.</summary>
    public string Reason { get; }

    /// <summary>Bytes kept in the prepared record and handed back in <see cref="BranchContext.State"/>.</summary>
    public byte[]? State { get; }

    /// <summary>Votes PREPARED, optionally keeping <paramref name="state"/> in the prepared record.</summary>
    public static PrepareResult Prepared(byte[]? state = null) => new(PrepareVote.Prepared, "", state);

    /// <summary>Votes READ_ONLY.</summary>
    public static PrepareResult ReadOnly() => new(PrepareVote.ReadOnly, "", null);

    /// <summary>Votes ABORT with a reason the coordinator records.</summary>
    public static PrepareResult Abort(string reason) => new(PrepareVote.Abort, reason ?? "", null);
}
