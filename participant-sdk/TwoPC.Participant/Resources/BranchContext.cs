using TwoPC.Client.Serialization;

namespace TwoPC.Participant.Resources;

/// <summary>What a resource learns about one branch of a two-phase transaction.</summary>
public class BranchContext : LocalWriteContext
{
    internal BranchContext(Type transactionType, ITwoPcSerializer serializer, string transactionId, int branchId, string resource, byte[] payload, byte[]? state, string coordinatorAddress)
        : base(transactionType, serializer)
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

    /// <summary>The payload given at Enlist, read as <typeparamref name="TPayload"/> with <see cref="LocalWriteContext.Serializer"/>.</summary>
    /// <exception cref="TwoPcSerializationException">The payload is not a <typeparamref name="TPayload"/>.</exception>
    public TPayload ReadPayload<TPayload>() => Serializer.Deserialize<TPayload>(Payload);

    /// <summary>The state kept with the PREPARED vote (<see cref="PrepareContext.Prepared{TState}"/>), or default when none was kept.</summary>
    public TState? ReadState<TState>() => State is null ? default : Serializer.Deserialize<TState>(State);

    /// <summary>The coordinator address carried by Prepare; empty when none was given.</summary>
    public string CoordinatorAddress { get; }
}
