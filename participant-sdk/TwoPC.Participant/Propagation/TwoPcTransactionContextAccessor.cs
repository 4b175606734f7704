using Google.Protobuf;
using Microsoft.Extensions.Options;
using TwoPC.Participant.Hosting;
using P = TwoPC.Protocol.V1;
using TwoPC.Client;

namespace TwoPC.Participant.Propagation;

/// <summary>Reads the ambient context restored by <see cref="TwoPcServerInterceptor"/> and enlists through the shared channels.</summary>
internal sealed class TwoPcTransactionContextAccessor : ITwoPcTransactionContextAccessor
{
    private readonly CoordinatorChannels _channels;
    private readonly ParticipantOptions _options;
    private readonly TimeProvider _time;

    public TwoPcTransactionContextAccessor(CoordinatorChannels channels, IOptions<ParticipantOptions> options, TimeProvider time)
    {
        _channels = channels;
        _options = options.Value;
        _time = time;
    }

    public TwoPcTransactionContext? Current => TwoPcTransactionContext.Current;

    /// <summary>
    /// Enlists at the instance the context names, following a "not-owner" redirect and then asking
    /// <see cref="ParticipantOptions.CoordinatorAddress"/> and <see cref="ParticipantOptions.CoordinatorAddresses"/>
    /// when it cannot answer. The request carries a branch key made for this call, so re-sending it to another
    /// instance after a lost reply returns the branch it may already have added instead of adding a second one.
    /// </summary>
    public async Task<int> EnlistSelfAsync(string resource, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resource);
        var current = Current ?? throw new InvalidOperationException("There is no current TwoPC transaction to enlist in.");
        var self = _options.AdvertisedAddress ?? throw new InvalidOperationException("ParticipantOptions.AdvertisedAddress is required to enlist this participant.");
        var request = new P.EnlistRequest
        {
            TransactionId = current.TransactionId,
            ParticipantAddress = self.ToString(),
            Resource = resource,
            Payload = ByteString.CopyFrom(payload.Span),
            BranchKey = "twopc-self-" + Guid.NewGuid().ToString("N"),
        };
        var addresses = new List<Uri> { current.CoordinatorAddress };
        foreach (var address in _options.CoordinatorAddresses.Prepend(_options.CoordinatorAddress))
        {
            if (address is not null && !addresses.Exists(a => CoordinatorFailures.SameInstance(a, address))) addresses.Add(address);
        }

        var (response, _) = await CoordinatorFailover.CallAsync(addresses, a => _channels.Get(a.ToString()), _time, current.CoordinatorAddress,
            (c, o) => c.EnlistAsync(request, o), timeout: null, CoordinatorCall.Enlist, current.TransactionId,
            new Failover(RetryAmbiguous: true, RetryAfterDeadline: false), cancellationToken).ConfigureAwait(false);
        return response.BranchId;
    }
}
