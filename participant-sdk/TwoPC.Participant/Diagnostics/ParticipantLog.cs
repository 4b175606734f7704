using Microsoft.Extensions.Logging;

namespace TwoPC.Participant.Diagnostics;

/// <summary>The participant's log messages, with stable event ids and the transaction id as a structured field.</summary>
internal static partial class ParticipantLog
{
    [LoggerMessage(EventId = 100, EventName = "BranchPrepared", Level = LogLevel.Debug, Message = "Branch {TransactionId}/{BranchId} of {Resource} voted {Vote}")]
    public static partial void BranchVoted(ILogger logger, string transactionId, int branchId, string resource, string vote);

    [LoggerMessage(EventId = 101, EventName = "BranchDecided", Level = LogLevel.Debug, Message = "Branch {TransactionId}/{BranchId} is {Outcome}")]
    public static partial void BranchDecided(ILogger logger, string transactionId, int branchId, string outcome);

    [LoggerMessage(EventId = 102, EventName = "BranchTombstone", Level = LogLevel.Information, Message = "Abort before Prepare for branch {TransactionId}/{BranchId}; tombstone written")]
    public static partial void Tombstone(ILogger logger, string transactionId, int branchId);

    [LoggerMessage(EventId = 103, EventName = "ResourceFailed", Level = LogLevel.Warning, Message = "Resource {Resource} failed in {Operation} for {TransactionId}/{BranchId}")]
    public static partial void ResourceFailed(ILogger logger, Exception exception, string resource, string operation, string transactionId, int branchId);

    [LoggerMessage(EventId = 104, EventName = "StorageFailed", Level = LogLevel.Error, Message = "Storage write failed in {Operation} for {TransactionId}; the outcome is unknown until reloaded")]
    public static partial void StorageFailed(ILogger logger, Exception exception, string operation, string transactionId);

    [LoggerMessage(EventId = 105, EventName = "StoreStopped", Level = LogLevel.Critical, Message = "The record write of {Operation} for {TransactionId} failed after the resource had run; the store is stopped (fail-stop) so that it never runs twice")]
    public static partial void StoreStopped(ILogger logger, string operation, string transactionId);

    [LoggerMessage(EventId = 200, EventName = "SagaStepFailed", Level = LogLevel.Warning, Message = "Saga step resource {Resource} threw in {Operation} for {TransactionId} step {StepName}")]
    public static partial void SagaStepFailed(ILogger logger, Exception exception, string resource, string operation, string transactionId, string stepName);

    [LoggerMessage(EventId = 201, EventName = "SagaBarrierHit", Level = LogLevel.Debug, Message = "Barrier answered {Operation} for {TransactionId} step {StepName} with {Result}")]
    public static partial void BarrierHit(ILogger logger, string operation, string transactionId, string stepName, string result);

    [LoggerMessage(EventId = 300, EventName = "InDoubtFound", Level = LogLevel.Information, Message = "Branch {TransactionId}/{BranchId} is in doubt; asking {Coordinator}")]
    public static partial void InDoubtFound(ILogger logger, string transactionId, int branchId, string coordinator);

    [LoggerMessage(EventId = 301, EventName = "InDoubtRetry", Level = LogLevel.Information, Message = "In-doubt branch {TransactionId}/{BranchId} not resolved ({Detail}); retrying in {Delay}")]
    public static partial void InDoubtRetry(ILogger logger, string transactionId, int branchId, string detail, TimeSpan delay);

    [LoggerMessage(EventId = 302, EventName = "InDoubtResolved", Level = LogLevel.Information, Message = "In-doubt branch {TransactionId}/{BranchId} resolved: {Outcome}")]
    public static partial void InDoubtResolved(ILogger logger, string transactionId, int branchId, string outcome);

    [LoggerMessage(EventId = 303, EventName = "RecoverFailed", Level = LogLevel.Error, Message = "Resource {Resource} failed to recover branch {TransactionId}/{BranchId}")]
    public static partial void RecoverFailed(ILogger logger, Exception exception, string resource, string transactionId, int branchId);

    [LoggerMessage(EventId = 340, EventName = "InDoubtLogMismatch", Level = LogLevel.Critical,
        Message = "LOG MISMATCH for in-doubt branch {TransactionId}/{BranchId}: it was prepared under coordinator decision log {ExpectedLogId}, but {Coordinator} runs log {AnsweredLogId} and has no record of it. The branch stays prepared (its locks held) and is asked again in {Delay}; start the coordinator on its original data path")]
    public static partial void InDoubtLogMismatch(ILogger logger, string transactionId, int branchId, string expectedLogId, string coordinator, string answeredLogId, TimeSpan delay);

    [LoggerMessage(EventId = 341, EventName = "InDoubtResolveFailed", Level = LogLevel.Error, Message = "Resolving in-doubt branch {TransactionId}/{BranchId} failed unexpectedly; retrying")]
    public static partial void InDoubtResolveFailed(ILogger logger, Exception exception, string transactionId, int branchId);

    [LoggerMessage(EventId = 342, EventName = "InDoubtScanFailed", Level = LogLevel.Error, Message = "Scan for in-doubt branches failed; the next scan retries")]
    public static partial void InDoubtScanFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 343, EventName = "PreparedRecordUnreadable", Level = LogLevel.Error, Message = "Prepared record {Key} cannot be read; it is skipped by in-doubt resolution until it can")]
    public static partial void PreparedRecordUnreadable(ILogger logger, Exception exception, string key);

    [LoggerMessage(EventId = 344, EventName = "InDoubtResolveStopped", Level = LogLevel.Debug, Message = "Resolving in-doubt branch {TransactionId}/{BranchId} stopped by shutdown; the prepared record stays for the next start")]
    public static partial void InDoubtResolveStopped(ILogger logger, string transactionId, int branchId);

    [LoggerMessage(EventId = 345, EventName = "InDoubtScanStopped", Level = LogLevel.Debug, Message = "In-doubt scan stopped by shutdown")]
    public static partial void InDoubtScanStopped(ILogger logger);

    [LoggerMessage(EventId = 346, EventName = "InDoubtResolverFaulted", Level = LogLevel.Error, Message = "Resolving in-doubt branch {TransactionId}/{BranchId} ended with an unexpected error; the next scan resolves it again")]
    public static partial void InDoubtResolverFaulted(ILogger logger, Exception exception, string transactionId, int branchId);
}
