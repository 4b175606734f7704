using System.Net.Http;
using System.Net.Sockets;
using Grpc.Core;

namespace TwoPC.Client;

/// <summary>
/// Reads a failed coordinator call for what failover needs: whether the instance refused because another instance
/// owns the transaction (and which), and whether the request provably never reached any instance.
/// Shared by the client and the participant's in-doubt resolution.
/// </summary>
internal static class CoordinatorFailures
{
    /// <summary>Error kind of a FailedPrecondition answer from an instance that does not own the transaction.</summary>
    public const string NotOwner = "not-owner";

    /// <summary>Trailer of a <see cref="NotOwner"/> answer: the absolute URI of the owning instance; absent or empty when unknown.</summary>
    public const string OwnerTrailer = "twopc-owner";

    /// <summary>Redirects to a named owner followed by one call before the owner's answers count as "no usable owner".</summary>
    public const int MaxRedirects = 3;

    /// <summary>True for the <see cref="NotOwner"/> answer: the instance refused, nothing was applied.</summary>
    public static bool IsNotOwner(RpcException ex) =>
        ex.StatusCode == StatusCode.FailedPrecondition && ex.Trailers.GetValue(ClientErrors.ErrorKindTrailer) == NotOwner;

    /// <summary>The owner a <see cref="NotOwner"/> answer names, when it is an absolute http:// or https:// URI other than <paramref name="answeredBy"/>.</summary>
    public static Uri? OwnerOf(RpcException ex, Uri answeredBy)
    {
        var value = ex.Trailers.GetValue(OwnerTrailer);
        if (string.IsNullOrWhiteSpace(value) || !Uri.TryCreate(value.Trim(), UriKind.Absolute, out var owner)) return null;
        if (owner.Scheme is not ("http" or "https")) return null;
        return SameInstance(owner, answeredBy) ? null : owner;
    }

    /// <summary>True for the coordinator's own "retry later" answer: it recorded and decided nothing.</summary>
    public static bool IsRetryLaterAnswer(RpcException ex) =>
        ex.StatusCode == StatusCode.Unavailable && ex.Trailers.GetValue(ClientErrors.ErrorKindTrailer) == "retry-later";

    /// <summary>
    /// True when the call failed while connecting (connection refused, unreachable host, name or TLS failure): no
    /// request reached an instance, so nothing can have been applied. Any other transport failure may have happened
    /// after the instance applied the request.
    /// </summary>
    public static bool NeverReached(RpcException ex)
    {
        if (ex.StatusCode != StatusCode.Unavailable) return false;
        for (Exception? e = ex.Status.DebugException ?? ex.InnerException; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError }:
                    return true;
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.HostUnreachable
                    or SocketError.NetworkUnreachable or SocketError.AddressNotAvailable or SocketError.NoData }:
                    return true;
            }
        }

        return false;
    }

    /// <summary>Whether two addresses name the same instance (scheme, host and port).</summary>
    public static bool SameInstance(Uri a, Uri b) =>
        Uri.Compare(a, b, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;
}
