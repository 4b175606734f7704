using TwoPC.Client.Serialization;

namespace TwoPC.Participant.Resources;

/// <summary>What a resource learns in phase 1.</summary>
public sealed class PrepareContext : BranchContext
{
    internal PrepareContext(Type transactionType, ITwoPcSerializer serializer, string transactionId, int branchId, string resource, byte[] payload, string coordinatorAddress, bool onePhase)
        : base(transactionType, serializer, transactionId, branchId, resource, payload, null, coordinatorAddress) => OnePhase = onePhase;

    /// <summary>True for a single-branch transaction: the SDK commits right after a PREPARED vote.</summary>
    public bool OnePhase { get; }

    /// <summary>Votes PREPARED, keeping <paramref name="state"/> (written with <see cref="LocalWriteContext.Serializer"/>) in the prepared record.</summary>
    public PrepareResult Prepared<TState>(TState state) => PrepareResult.Prepared(Serializer.Serialize(state));
}
