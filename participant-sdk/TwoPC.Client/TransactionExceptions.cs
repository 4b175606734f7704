namespace TwoPC.Client;

/// <summary>Base of the errors of the TwoPC client; the subclass says what the caller may do next.</summary>
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
/// <see cref="TwoPcClient.GetTransactionAsync"/> later.
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
