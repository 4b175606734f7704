using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Client;

/// <summary>What a call may do after a transport failure that may have come after the instance applied it.</summary>
/// <param name="RetryAmbiguous">Re-send elsewhere after such a failure: true only for calls that are idempotent at the
/// coordinator (Commit, Abort, reads, keyed Begin and Enlist).</param>
/// <param name="RetryAfterDeadline">Treat DeadlineExceeded as such a failure (else the caller's time is spent and the call ends).</param>
internal readonly record struct Failover(bool RetryAmbiguous, bool RetryAfterDeadline);

/// <summary>An answer and the coordinator instance that gave it.</summary>
internal readonly record struct Answered<T>(T Response, Uri Instance);

/// <summary>
/// The coordinator instances of one client: one long-lived channel per configured address (and per owner an
/// instance redirected to), and the failover loop every call goes through. A call goes to its first instance;
/// a "not-owner" answer naming the owner is followed (at most <see cref="CoordinatorFailures.MaxRedirects"/> times);
/// an instance that cannot answer, or refuses without naming a usable owner, passes the call to the next configured
/// address. When no instance answers, the call fails with <see cref="TransactionRetryLaterException"/>, unless one
/// attempt may have been applied (its reply lost): that failure is then reported as the single-instance client
/// would report it (in doubt for Commit and RunSaga).
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

    public async Task<Answered<T>> CallAsync<T>(Uri first, Func<P.Coordinator.CoordinatorClient, CallOptions, AsyncUnaryCall<T>> call, TimeSpan timeout,
        CoordinatorCall kind, string? transactionId, Failover failover, CancellationToken cancellationToken)
    {
        var tried = new List<Uri>();
        var failures = new List<string>();
        RpcException? last = null;
        RpcException? ambiguous = null;
        var redirects = 0;
        for (Uri? target = first; target is not null; target = NextUntried(tried))
        {
            while (true)
            {
                tried.Add(target);
                try
                {
                    var options = new CallOptions(deadline: _time.GetUtcNow().UtcDateTime + timeout, cancellationToken: cancellationToken);
                    var response = await call(new P.Coordinator.CoordinatorClient(Channel(target)), options).ResponseAsync.ConfigureAwait(false);
                    return new Answered<T>(response, target);
                }
                catch (RpcException ex)
                {
                    last = ex;
                    failures.Add($"{target}: {ex.StatusCode} {ex.Status.Detail}");
                    if (CoordinatorFailures.IsNotOwner(ex))
                    {
                        if (CoordinatorFailures.OwnerOf(ex, target) is { } owner && redirects < CoordinatorFailures.MaxRedirects)
                        {
                            redirects++;
                            target = owner;
                            continue;
                        }
                    }
                    else if (!CoordinatorFailures.IsRetryLaterAnswer(ex) && !CoordinatorFailures.NeverReached(ex))
                    {
                        var transport = ex.StatusCode == StatusCode.Unavailable
                                        || (ex.StatusCode == StatusCode.DeadlineExceeded && failover.RetryAfterDeadline);
                        // An answer (or a failure this call may not retry elsewhere) is reported as it is.
                        if (!transport || !failover.RetryAmbiguous) throw ClientErrors.Map(ex, kind, transactionId);
                        ambiguous ??= ex;
                    }

                    break;
                }
            }
        }

        if (ambiguous is not null) throw ClientErrors.Map(ambiguous, kind, transactionId);
        throw new TransactionRetryLaterException(transactionId,
            $"{kind} failed: no coordinator instance could answer, and none applied it ({string.Join("; ", failures)}). Retry later.", last);
    }

    private Uri? NextUntried(List<Uri> tried)
    {
        foreach (var address in Addresses)
        {
            if (!tried.Exists(t => CoordinatorFailures.SameInstance(t, address))) return address;
        }

        return null;
    }

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
