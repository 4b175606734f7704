using Grpc.Core;
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
/// The failover loop every coordinator call of the client (and the participant's self-enlistment) goes through. A
/// call goes to its first instance; a "not-owner" answer naming the owner is followed (at most
/// <see cref="CoordinatorFailures.MaxRedirects"/> times); an instance that cannot answer, or refuses without naming a
/// usable owner, passes the call to the next configured address. When no instance answers, the call fails with
/// <see cref="TransactionRetryLaterException"/>, unless one attempt may have been applied (its reply lost): that
/// failure is then reported as the single-instance client would report it (in doubt for Commit and RunSaga).
/// </summary>
internal static class CoordinatorFailover
{
    /// <summary>Sends <paramref name="call"/> to <paramref name="first"/>, then as described above; <paramref name="timeout"/> null means no deadline.</summary>
    public static async Task<Answered<T>> CallAsync<T>(IReadOnlyList<Uri> addresses, Func<Uri, P.Coordinator.CoordinatorClient> clientAt, TimeProvider time,
        Uri first, Func<P.Coordinator.CoordinatorClient, CallOptions, AsyncUnaryCall<T>> call, TimeSpan? timeout,
        CoordinatorCall kind, string? transactionId, Failover failover, CancellationToken cancellationToken)
    {
        var tried = new List<Uri>();
        var failures = new List<string>();
        RpcException? last = null;
        RpcException? ambiguous = null;
        var redirects = 0;
        for (Uri? target = first; target is not null; target = NextUntried(addresses, tried))
        {
            while (true)
            {
                tried.Add(target);
                try
                {
                    var options = new CallOptions(deadline: time.GetUtcNow().UtcDateTime + timeout, cancellationToken: cancellationToken);
                    var response = await call(clientAt(target), options).ResponseAsync.ConfigureAwait(false);
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

    private static Uri? NextUntried(IReadOnlyList<Uri> addresses, List<Uri> tried)
    {
        foreach (var address in addresses)
        {
            if (!tried.Exists(t => CoordinatorFailures.SameInstance(t, address))) return address;
        }

        return null;
    }
}
