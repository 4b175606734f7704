namespace TwoPC.Coordinator.Transactions;

/// <summary>Base of the engine's errors; the gRPC layer maps each kind to one status code in one place.</summary>
public abstract class CoordinatorException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>No transaction with that id is known (gRPC NotFound).</summary>
public sealed class TransactionNotFoundException(string transactionId)
    : CoordinatorException($"transaction_id '{transactionId}' is not known to this coordinator")
{
    /// <summary>The id asked for.</summary>
    public string TransactionId { get; } = transactionId;
}

/// <summary>A request field is invalid (gRPC InvalidArgument). Nothing was changed.</summary>
public sealed class InvalidRequestException(string field, string message) : CoordinatorException($"{field}: {message}")
{
    /// <summary>The offending field, as named in the .proto.</summary>
    public string Field { get; } = field;
}

/// <summary>The request is valid but not in the transaction's current state (gRPC FailedPrecondition).</summary>
public sealed class TransactionStateConflictException(string message) : CoordinatorException(message);

/// <summary>
/// The outcome is not known right now (a storage write or a reply failed ambiguously). The coordinator keeps
/// resolving it from durable state; ask again with GetTransaction. Distinct from "aborted" and "retry later".
/// </summary>
public sealed class TransactionInDoubtException(string transactionId, string message, Exception? inner = null)
    : CoordinatorException($"transaction {transactionId} is in doubt: {message}", inner);

/// <summary>Nothing was decided; the caller may retry later (gRPC Unavailable).</summary>
public sealed class RetryLaterException(string message, Exception? inner = null) : CoordinatorException(message, inner);
