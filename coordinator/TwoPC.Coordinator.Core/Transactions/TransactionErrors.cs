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

/// <summary>
/// The transaction is owned by another coordinator instance of the cluster (gRPC FailedPrecondition, trailers
/// <c>twopc-error: not-owner</c> and <c>twopc-owner</c> with the owner's address). Only the owner decides; the caller
/// sends the call there. <see cref="OwnerAddress"/> is empty when the owner advertised none or its lease has expired
/// (another instance is about to claim the transaction): ask again shortly.
/// </summary>
public sealed class TransactionNotOwnedException(string transactionId, string ownerAddress)
    : CoordinatorException(ownerAddress.Length > 0
        ? $"transaction {transactionId} is owned by the coordinator instance at {ownerAddress}; send the call there"
        : $"transaction {transactionId} is owned by another coordinator instance that cannot take calls now; ask again shortly")
{
    /// <summary>The transaction.</summary>
    public string TransactionId { get; } = transactionId;

    /// <summary>The owner's advertised address, or empty.</summary>
    public string OwnerAddress { get; } = ownerAddress;
}

/// <summary>The request is valid but not in the transaction's current state (gRPC FailedPrecondition).</summary>
public sealed class TransactionStateConflictException(string message) : CoordinatorException(message);

/// <summary>
/// The outcome is not known yet (a storage write or a reply failed ambiguously). The coordinator keeps
/// resolving it from durable state; ask again with GetTransaction. Distinct from "aborted" and "retry later".
/// </summary>
public sealed class TransactionInDoubtException(string transactionId, string message, Exception? inner = null)
    : CoordinatorException($"transaction {transactionId} is in doubt: {message}", inner);

/// <summary>
/// An in-doubt query names a decision log other than this coordinator's, and this log has no record of the
/// transaction (gRPC FailedPrecondition, trailer <c>twopc-error: log-mismatch</c>). Presumed abort would be a guess:
/// the other log may hold a commit. The participant keeps the branch prepared and asks again.
/// </summary>
public sealed class LogMismatchException(string transactionId, string expectedLogId, string actualLogId)
    : CoordinatorException($"log mismatch: transaction {transactionId} was prepared under decision log {expectedLogId}, but this coordinator " +
        $"runs log {actualLogId} and has no record of it; not answering presumed abort. Start the coordinator on its original data path.")
{
    /// <summary>The transaction asked about.</summary>
    public string TransactionId { get; } = transactionId;

    /// <summary>The log identity the participant was prepared under.</summary>
    public string ExpectedLogId { get; } = expectedLogId;

    /// <summary>This coordinator's log identity.</summary>
    public string ActualLogId { get; } = actualLogId;
}

/// <summary>Nothing was decided; the caller may retry later (gRPC Unavailable).</summary>
public sealed class RetryLaterException(string message, Exception? inner = null) : CoordinatorException(message, inner);
