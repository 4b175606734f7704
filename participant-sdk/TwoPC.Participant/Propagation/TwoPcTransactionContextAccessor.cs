using Google.Protobuf;
using Grpc.Core;
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

    public TwoPcTransactionContextAccessor(CoordinatorChannels channels, IOptions<ParticipantOptions> options)
    {
        _channels = channels;
        _options = options.Value;
    }

    public TwoPcTransactionContext? Current => TwoPcTransactionContext.Current;

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
        };
        try
        {
            var response = await _channels.Get(current.CoordinatorAddress.ToString())
                .EnlistAsync(request, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
            return response.BranchId;
        }
        catch (RpcException ex)
        {
            throw ClientErrors.Map(ex, CoordinatorCall.Enlist, current.TransactionId);
        }
    }
}
