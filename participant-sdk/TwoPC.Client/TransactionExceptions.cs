namespace TwoPC.Client;

/// <summary>
/// Base of every error the TwoPC client reports; the subclass says what the caller may do next:
/// <list type="table">
/// <item><term><see cref="TransactionAbortedException"/></term><description>definitely aborted: nothing committed; retrying the whole unit of work is safe.</description></item>
/// <item><term><see cref="TransactionInDoubtException"/></term><description>the outcome is unknown (a lost reply): do not retry blindly; ask <see cref="ITwoPcClient.GetTransactionAsync"/> later.</description></item>
/// <item><term><see cref="TransactionRetryLaterException"/></term><description>nothing was decided (the coordinator was unreachable or said so): retrying the call later is safe.</description></item>
/// <item><term><see cref="TwoPcInvalidRequestException"/></term><description>a value of the request is invalid (<see cref="TwoPcInvalidRequestException.Field"/> names it); nothing was changed.</description></item>
/// <item><term><see cref="TransactionNotFoundException"/></term><description>the coordinator has no record of the transaction.</description></item>
/// <item><term><see cref="TransactionConflictException"/></term><description>the request is valid but not in the transaction's current state (enlist after Commit, abort after commit); nothing was changed.</description></item>
/// <item><term><see cref="Serialization.TwoPcSerializationException"/></term><description>a typed payload could not be written or read.</description></item>
/// </list>
/// The coordinator's (and through it the participant's) message text is kept in <see cref="Exception.Message"/>; the
/// gRPC error, when there was one, is the <see cref="Exception.InnerException"/>.
/// </summary>
public abstract class TwoPcTransactionException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected TwoPcTransactionException(string? transactionId, string message, Exception? inner)
        : base(message, inner) => TransactionId = transactionId;

    /// <summary>The transaction concerned, when known.</summary>
    public string? TransactionId { get; }
}

/// <summary>The transaction definitely aborted: nothing it did is committed, so retrying the whole unit of work is safe.</summary>
public sealed class TransactionAbortedException : TwoPcTransactionException
{
    /// <summary>Creates the exception.</summary>
    public TransactionAbortedException(string? transactionId, string message, Exception? inner = null) : base(transactionId, message, inner) { }
}

/// <summary>
/// The reply was lost or ambiguous: the transaction may have committed or aborted. Do not retry blindly; ask
/// <see cref="ITwoPcClient.GetTransactionAsync"/> later.
/// </summary>
public sealed class TransactionInDoubtException : TwoPcTransactionException
{
    /// <summary>Creates the exception.</summary>
    public TransactionInDoubtException(string? transactionId, string message, Exception? inner = null) : base(transactionId, message, inner) { }
}

/// <summary>The coordinator was unavailable before anything was decided; retrying the call later is safe.</summary>
public sealed class TransactionRetryLaterException : TwoPcTransactionException
{
    /// <summary>Creates the exception.</summary>
    public TransactionRetryLaterException(string? transactionId, string message, Exception? inner = null) : base(transactionId, message, inner) { }
}

/// <summary>
/// A value of the request is invalid, checked by the client before sending (names and ids at most 200 characters,
/// keys at most 128, absolute http:// or https:// addresses, at least one saga step, unique step names) or refused
/// by the coordinator (gRPC InvalidArgument, OutOfRange, PermissionDenied, Unauthenticated, Unimplemented). Nothing
/// was changed; fix the value before retrying.
/// </summary>
public sealed class TwoPcInvalidRequestException : TwoPcTransactionException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="field">The offending field as the .proto names it (for example <c>steps[1].resource</c>), or null.</param>
    /// <param name="message">What is wrong, with the coordinator's text when it answered.</param>
    /// <param name="transactionId">The transaction concerned, when known.</param>
    /// <param name="inner">The gRPC error, when the coordinator refused the request.</param>
    public TwoPcInvalidRequestException(string? field, string message, string? transactionId = null, Exception? inner = null)
        : base(transactionId, message, inner) => Field = field;

    /// <summary>The offending field as the .proto names it (<c>resource</c>, <c>branches[0].branch_key</c>, <c>steps</c>, ...); null when not known.</summary>
    public string? Field { get; }
}

/// <summary>The coordinator has no record of the transaction (gRPC NotFound on a read, or on Abort).</summary>
public sealed class TransactionNotFoundException : TwoPcTransactionException
{
    /// <summary>Creates the exception.</summary>
    public TransactionNotFoundException(string? transactionId, string message, Exception? inner = null) : base(transactionId, message, inner) { }
}

/// <summary>
/// The request is valid but does not fit the transaction's current state (gRPC FailedPrecondition or AlreadyExists):
/// enlisting after Commit started, aborting a committed transaction, committing a saga. Nothing was changed.
/// </summary>
public sealed class TransactionConflictException : TwoPcTransactionException
{
    /// <summary>Creates the exception.</summary>
    public TransactionConflictException(string? transactionId, string message, Exception? inner = null) : base(transactionId, message, inner) { }
}
