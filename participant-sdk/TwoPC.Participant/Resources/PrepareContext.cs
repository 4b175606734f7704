namespace TwoPC.Participant.Resources;

/// <summary>What a resource learns in phase 1.</summary>
public sealed class PrepareContext : BranchContext
{
    internal PrepareContext(Type transactionType, string transactionId, int branchId, string resource, byte[] payload, string coordinatorAddress, bool onePhase)
        : base(transactionType, transactionId, branchId, resource, payload, null, coordinatorAddress) => OnePhase = onePhase;

    /// <summary>True for a single-branch transaction: the SDK commits right after a PREPARED vote.</summary>
    public bool OnePhase { get; }
}
