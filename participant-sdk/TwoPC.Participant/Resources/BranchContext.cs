namespace TwoPC.Participant.Resources;

/// <summary>What a resource learns about one branch of a two-phase transaction.</summary>
public class BranchContext : LocalWriteContext
{
    internal BranchContext(Type transactionType, string transactionId, int branchId, string resource, byte[] payload, byte[]? state, string coordinatorAddress)
        : base(transactionType)
    {
        TransactionId = transactionId;
        BranchId = branchId;
        Resource = resource;
        Payload = payload;
        State = state;
        CoordinatorAddress = coordinatorAddress;
    }

    /// <summary>The coordinator's transaction id.</summary>
    public string TransactionId { get; }

    /// <summary>The branch number inside the transaction.</summary>
    public int BranchId { get; }

    /// <summary>The resource name the branch was enlisted with.</summary>
    public string Resource { get; }

    /// <summary>The payload given at Enlist.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The state the resource returned with its PREPARED vote, if any.</summary>
    public byte[]? State { get; }

    /// <summary>The coordinator address carried by Prepare; empty when none was given.</summary>
    public string CoordinatorAddress { get; }
}
