using Grpc.Core;
using Grpc.Core.Interceptors;
using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Transactions;
using TwoPC.Durability;

namespace TwoPC.Coordinator.Services;

/// <summary>
/// The one place where engine errors become gRPC statuses. The trailer <c>twopc-error</c> tells clients which of
/// the three failure kinds they got: <c>in-doubt</c>, <c>retry-later</c> or <c>invalid</c>; <c>log-mismatch</c> tells a
/// participant resolving an in-doubt branch that it reached a coordinator on another decision log.
/// </summary>
internal sealed class ErrorMappingInterceptor : Interceptor
{
    public const string ErrorKindTrailer = "twopc-error";

    /// <summary>With <c>log-mismatch</c>: this coordinator's decision-log identity.</summary>
    public const string LogIdTrailer = "twopc-log-id";

    /// <summary>With <c>not-owner</c>: the address of the instance that owns the transaction (absent when unknown).</summary>
    public const string OwnerTrailer = "twopc-owner";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception ex) when (Map(ex) is { } mapped)
        {
            throw mapped;
        }
    }

    internal static RpcException? Map(Exception ex) => ex switch
    {
        InvalidRequestException e => Create(StatusCode.InvalidArgument, e.Message, "invalid", e.Field),
        TransactionNotFoundException e => Create(StatusCode.NotFound, e.Message, "not-found"),
        TransactionStateConflictException e => Create(StatusCode.FailedPrecondition, e.Message, "conflict"),
        LogMismatchException e => Create(StatusCode.FailedPrecondition, e.Message, "log-mismatch", extra: (LogIdTrailer, e.ActualLogId)),
        TransactionNotOwnedException e => Create(StatusCode.FailedPrecondition, e.Message, "not-owner", extra: e.OwnerAddress.Length > 0 ? (OwnerTrailer, e.OwnerAddress) : null),
        TransactionInDoubtException e => Create(StatusCode.Unknown, e.Message, "in-doubt"),
        OwnershipLostException e => Create(StatusCode.Unknown, $"transaction {e.TransactionId}: this coordinator instance lost its ownership and stops; another instance finishes it, the outcome is in doubt here: {e.Message}", "in-doubt"),
        RetryLaterException e => Create(StatusCode.Unavailable, e.Message, "retry-later"),
        StorageFailedException e => Create(StatusCode.Unknown, "storage failed; the outcome is in doubt: " + e.Message, "in-doubt"),
        _ => null,
    };

    private static RpcException Create(StatusCode code, string message, string kind, string? field = null, (string Key, string Value)? extra = null)
    {
        var trailers = new Metadata { { ErrorKindTrailer, kind } };
        if (field is not null) trailers.Add("twopc-field", field);
        if (extra is { } e) trailers.Add(e.Key, e.Value);
        return new RpcException(new Status(code, message), trailers, message);
    }
}
