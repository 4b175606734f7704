using System.Text.RegularExpressions;
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

/// <summary>The one place where coordinator status codes become the client's exceptions (see <see cref="TwoPcTransactionException"/>).</summary>
internal static partial class ClientErrors
{
    /// <summary>Trailer naming the coordinator's error kind (<c>retry-later</c>, <c>invalid</c>, <c>log-mismatch</c>, ...).</summary>
    public const string ErrorKindTrailer = "twopc-error";

    /// <summary>Trailer naming the offending field of an InvalidArgument answer.</summary>
    public const string FieldTrailer = "twopc-field";

    public static TwoPcTransactionException Map(RpcException ex, CoordinatorCall call, string? transactionId)
    {
        var detail = $"{call} failed: {ex.StatusCode} {ex.Status.Detail}";
        var kind = ex.Trailers.GetValue(ErrorKindTrailer);
        // The coordinator itself answered "retry later": nothing was recorded or decided, whatever the call.
        if (ex.StatusCode == StatusCode.Unavailable && kind == "retry-later")
            return new TransactionRetryLaterException(transactionId, detail, ex);
        switch (ex.StatusCode)
        {
            case StatusCode.InvalidArgument:
            case StatusCode.OutOfRange:
                return new TwoPcInvalidRequestException(FieldOf(ex), detail, transactionId, ex);
            case StatusCode.PermissionDenied:
            case StatusCode.Unauthenticated:
            case StatusCode.Unimplemented:
                // Refused before anything was applied; the fix is in the caller's setup, not in a retry.
                return new TwoPcInvalidRequestException(null, detail, transactionId, ex);
            case StatusCode.NotFound when call is CoordinatorCall.Enlist or CoordinatorCall.Commit:
                // No record means presumed abort: nothing was committed (DistributedTransaction refines Commit for
                // single-branch transactions, which may have committed in one phase).
                return new TransactionAbortedException(transactionId, detail, ex);
            case StatusCode.NotFound:
                return new TransactionNotFoundException(transactionId, detail, ex);
            case StatusCode.Aborted:
                return new TransactionAbortedException(transactionId, detail, ex);
            case StatusCode.FailedPrecondition when kind == CoordinatorFailures.NotOwner:
                // Another instance owns the transaction and this one refused: nothing was applied.
                return new TransactionRetryLaterException(transactionId, detail + ". Another coordinator instance owns the transaction; retry later.", ex);
            case StatusCode.FailedPrecondition when kind == "log-mismatch":
                // A coordinator on another decision log cannot say what this transaction's log decided.
                return new TransactionInDoubtException(transactionId, detail, ex);
            case StatusCode.FailedPrecondition:
            case StatusCode.AlreadyExists:
                return new TransactionConflictException(transactionId, detail, ex);
            case StatusCode.ResourceExhausted:
                return new TransactionRetryLaterException(transactionId, detail, ex);
        }

        // Transport-level failures (Unavailable, DeadlineExceeded, Cancelled, Internal, Unknown, DataLoss): for calls
        // that may decide an outcome the request may have been applied, so the result is in doubt. (A call that
        // provably reached no instance never gets here: CoordinatorInstances reports it as retry later.)
        return call is CoordinatorCall.Commit or CoordinatorCall.RunSaga
            ? new TransactionInDoubtException(transactionId, detail + ". The outcome is unknown; check GetTransaction later.", ex)
            : new TransactionRetryLaterException(transactionId, detail, ex);
    }

    /// <summary>The field the coordinator named: its trailer, else the <c>field: message</c> prefix of the status detail.</summary>
    private static string? FieldOf(RpcException ex)
    {
        if (ex.Trailers.GetValue(FieldTrailer) is { Length: > 0 } field) return field;
        var match = FieldPrefix().Match(ex.Status.Detail ?? "");
        return match.Success ? match.Groups[1].Value : null;
    }

    [GeneratedRegex(@"^([a-z_][a-z0-9_]*(?:\[\d+\])?(?:\.[a-z_][a-z0-9_]*(?:\[\d+\])?)*): ")]
    private static partial Regex FieldPrefix();
}
