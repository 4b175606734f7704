using Grpc.Core;

namespace TwoPC.Client;

/// <summary>Which coordinator call failed; decides how a status code is classified.</summary>
internal enum CoordinatorCall
{
    Begin,
    Enlist,
    Commit,
    Abort,
    GetTransaction,
    RunSaga,
}

/// <summary>The one place where coordinator status codes become the client's exceptions.</summary>
internal static class ClientErrors
{
    public static Exception Map(RpcException ex, CoordinatorCall call, string? transactionId)
    {
        var detail = $"{call} failed: {ex.StatusCode} {ex.Status.Detail}";
        // The coordinator itself answered "retry later": nothing was recorded or decided, whatever the call.
        if (ex.StatusCode == StatusCode.Unavailable && ex.Trailers.GetValue("twopc-error") == "retry-later")
            return new TransactionRetryLaterException(transactionId, detail, ex);
        switch (ex.StatusCode)
        {
            case StatusCode.InvalidArgument:
            case StatusCode.OutOfRange:
                return new ArgumentException(detail, ex);
            case StatusCode.NotFound when call is CoordinatorCall.Enlist or CoordinatorCall.Commit:
            case StatusCode.Aborted when call is CoordinatorCall.Enlist or CoordinatorCall.Commit:
                // No record means presumed abort: nothing was committed.
                return new TransactionAbortedException(transactionId, detail, ex);
            case StatusCode.FailedPrecondition when call is CoordinatorCall.Commit:
                return new TransactionAbortedException(transactionId, detail, ex);
            case StatusCode.NotFound when call is CoordinatorCall.GetTransaction:
                return new KeyNotFoundException(detail, ex);
            case StatusCode.FailedPrecondition:
            case StatusCode.PermissionDenied:
            case StatusCode.Unauthenticated:
            case StatusCode.Unimplemented:
                return new InvalidOperationException(detail, ex);
        }

        // Transport-level failures (Unavailable, DeadlineExceeded, Cancelled, Internal, Unknown, ...): for calls that
        // may decide an outcome the request may have been applied, so the result is in doubt.
        return call is CoordinatorCall.Commit or CoordinatorCall.RunSaga
            ? new TransactionInDoubtException(transactionId, detail + ". The outcome is unknown; check GetTransaction later.", ex)
            : new TransactionRetryLaterException(transactionId, detail, ex);
    }
}
