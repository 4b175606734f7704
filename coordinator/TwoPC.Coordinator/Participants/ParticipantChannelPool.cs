using System.Collections.Concurrent;
using Grpc.Net.Client;

namespace TwoPC.Coordinator.Participants;

/// <summary>One long-lived HTTP/2 channel per participant address, shared by every call (no per-call channels).</summary>
public sealed class ParticipantChannelPool : IDisposable
{
    private readonly ConcurrentDictionary<string, GrpcChannel> _channels = new(StringComparer.Ordinal);

    /// <summary>The channel for <paramref name="address"/>, created on first use.</summary>
    public GrpcChannel Get(string address) => _channels.GetOrAdd(address, static a => GrpcChannel.ForAddress(a, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            ConnectTimeout = TimeSpan.FromSeconds(2),
        },
        MaxReceiveMessageSize = 4 * 1024 * 1024,
    }));

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var channel in _channels.Values) channel.Dispose();
        _channels.Clear();
    }
}
