using TwoPC.Client;

namespace TwoPC.Participant.Propagation;

/// <summary>
/// Server side of propagation: the transaction the current incoming call belongs to, and a way for this service to
/// enlist itself into it.
/// </summary>
public interface ITwoPcTransactionContextAccessor
{
    /// <summary>The caller's transaction (from the <see cref="TwoPcMetadata"/> headers), or null.</summary>
    TwoPcTransactionContext? Current { get; }

    /// <summary>
    /// Enlists this participant (at <c>ParticipantOptions.AdvertisedAddress</c>) into <see cref="Current"/> with the
    /// given resource and payload.
    /// </summary>
    /// <returns>The branch id.</returns>
    /// <exception cref="InvalidOperationException">No current transaction, or no advertised address configured.</exception>
    Task<int> EnlistSelfAsync(string resource, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);
}
