using System.Collections.Concurrent;
using Grpc.Net.Client;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Client;

/// <summary>
/// One long-lived <see cref="GrpcChannel"/> per coordinator address, shared by recovery and self-enlistment.
/// Channels are created on first use and disposed with the container.
/// </summary>
internal sealed class CoordinatorChannels : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<GrpcChannel>> _channels = new(StringComparer.OrdinalIgnoreCase);

    public P.Coordinator.CoordinatorClient Get(string address)
    {
        var key = new Uri(address, UriKind.Absolute).GetLeftPart(UriPartial.Authority);
        var channel = _channels.GetOrAdd(key, static k => new Lazy<GrpcChannel>(() => GrpcChannel.ForAddress(k))).Value;
        return new P.Coordinator.CoordinatorClient(channel);
    }

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            if (channel.IsValueCreated) channel.Value.Dispose();
        }

        _channels.Clear();
    }
}
