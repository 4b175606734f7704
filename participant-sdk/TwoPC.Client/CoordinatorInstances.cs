using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Client;

/// <summary>
/// The coordinator instances of one client: one long-lived channel per configured address (and per owner an
/// instance redirected to); every call goes through <see cref="CoordinatorFailover"/>.
/// </summary>
internal sealed class CoordinatorInstances : IDisposable
{
    private readonly ConcurrentDictionary<Uri, Lazy<GrpcChannel>> _channels = new(UriAuthorityComparer.Instance);
    private readonly Action<GrpcChannelOptions>? _configure;
    private readonly TimeProvider _time;
    private volatile bool _disposed;

    public CoordinatorInstances(IReadOnlyList<Uri> addresses, Action<GrpcChannelOptions>? configure, TimeProvider time)
    {
        Addresses = addresses;
        _configure = configure;
        _time = time;
        foreach (var address in addresses) _ = Channel(address);
    }

    /// <summary>The configured addresses, in the order they are tried.</summary>
    public IReadOnlyList<Uri> Addresses { get; }

    public Task<Answered<T>> CallAsync<T>(Uri first, Func<P.Coordinator.CoordinatorClient, CallOptions, AsyncUnaryCall<T>> call, TimeSpan timeout,
        CoordinatorCall kind, string? transactionId, Failover failover, CancellationToken cancellationToken) =>
        CoordinatorFailover.CallAsync(Addresses, a => new P.Coordinator.CoordinatorClient(Channel(a)), _time, first, call, timeout, kind, transactionId, failover,
            cancellationToken);

    private GrpcChannel Channel(Uri address)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _channels.GetOrAdd(address, a => new Lazy<GrpcChannel>(() =>
        {
            var options = new GrpcChannelOptions();
            _configure?.Invoke(options);
            return GrpcChannel.ForAddress(a, options);
        })).Value;
    }

    /// <summary>Closes every channel.</summary>
    public void Dispose()
    {
        _disposed = true;
        foreach (var channel in _channels.Values)
        {
            if (channel.IsValueCreated) channel.Value.Dispose();
        }
    }

    /// <summary>Addresses are the same instance when scheme, host and port agree.</summary>
    private sealed class UriAuthorityComparer : IEqualityComparer<Uri>
    {
        public static readonly UriAuthorityComparer Instance = new();

        public bool Equals(Uri? x, Uri? y) => x is null ? y is null : y is not null && CoordinatorFailures.SameInstance(x, y);

        public int GetHashCode(Uri obj) => StringComparer.OrdinalIgnoreCase.GetHashCode(obj.GetComponents(UriComponents.SchemeAndServer, UriFormat.Unescaped));
    }
}
