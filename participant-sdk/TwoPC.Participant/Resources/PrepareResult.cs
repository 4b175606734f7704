using TwoPC.Client;

namespace TwoPC.Participant.Resources;

/// <summary>The answer of <see cref="ITransactionalResource.PrepareAsync"/>.</summary>
public sealed class PrepareResult
{
    private PrepareResult(Vote vote, string reason, byte[]? state)
    {
        Vote = vote;
        Reason = reason;
        State = state;
    }

    /// <summary>The vote: <see cref="Vote.Prepared"/>, <see cref="Vote.ReadOnly"/> or <see cref="Vote.Abort"/> (never <see cref="Vote.Unspecified"/>).</summary>
    public Vote Vote { get; }

    /// <summary>Why the resource voted <see cref="Vote.Abort"/>; empty otherwise.</summary>
    public string Reason { get; }

    /// <summary>Bytes kept in the prepared record and handed back in <see cref="BranchContext.State"/>.</summary>
    public byte[]? State { get; }

    /// <summary>Votes PREPARED, optionally keeping <paramref name="state"/> in the prepared record.</summary>
    public static PrepareResult Prepared(byte[]? state = null) => new(Vote.Prepared, "", state);

    /// <summary>Votes READ_ONLY.</summary>
    public static PrepareResult ReadOnly() => new(Vote.ReadOnly, "", null);

    /// <summary>Votes ABORT with a reason the coordinator records.</summary>
    public static PrepareResult Abort(string reason) => new(Vote.Abort, reason ?? "", null);
}
