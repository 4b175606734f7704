using Microsoft.Extensions.Logging;

namespace TwoPC.Coordinator.Diagnostics;

/// <summary>Source-generated log messages; the transaction id is always the structured field <c>TransactionId</c>.</summary>
internal static partial class CoordinatorLog
{
    [LoggerMessage(1, LogLevel.Debug, "Transaction {TransactionId} decided {Decision}: {Reason}", EventName = "Decided")]
    public static partial void Decided(ILogger logger, string transactionId, string decision, string? reason);

    [LoggerMessage(2, LogLevel.Warning, "Transaction {TransactionId}: decision write failed ambiguously; writing it again until a write succeeds", EventName = "DecisionInDoubt")]
    public static partial void DecisionInDoubt(ILogger logger, string transactionId, Exception error);

    [LoggerMessage(3, LogLevel.Information, "Transaction {TransactionId}: in-doubt decision resolved as {Decision}", EventName = "InDoubtResolved")]
    public static partial void InDoubtResolved(ILogger logger, string transactionId, string decision);

    [LoggerMessage(4, LogLevel.Debug, "Transaction {TransactionId}: branch {BranchId} phase 2 attempt {Attempt} failed: {Error}", EventName = "Phase2Retry")]
    public static partial void Phase2Retry(ILogger logger, string transactionId, int branchId, int attempt, string error);

    [LoggerMessage(5, LogLevel.Information, "Recovery: {Count} unfinished transactions loaded from the log", EventName = "RecoveryLoaded")]
    public static partial void RecoveryLoaded(ILogger logger, int count);

    [LoggerMessage(6, LogLevel.Information, "Transaction {TransactionId} timed out undecided; aborting", EventName = "TimedOut")]
    public static partial void TimedOut(ILogger logger, string transactionId);

    [LoggerMessage(7, LogLevel.Error, "Transaction {TransactionId}: background work failed", EventName = "DriverFailed")]
    public static partial void DriverFailed(ILogger logger, string transactionId, Exception error);

    [LoggerMessage(8, LogLevel.Warning, "Transaction {TransactionId}: lazy log write failed (recovery will redo the work)", EventName = "LazyWriteFailed")]
    public static partial void LazyWriteFailed(ILogger logger, string transactionId, Exception error);

    [LoggerMessage(9, LogLevel.Information, "Forgot {Count} finished transactions", EventName = "Forgot")]
    public static partial void Forgot(ILogger logger, int count);

    [LoggerMessage(10, LogLevel.Debug, "Transaction {TransactionId}: saga step {Step} {Event}: {Detail}", EventName = "SagaStep")]
    public static partial void SagaStep(ILogger logger, string transactionId, string step, string @event, string? detail);

    [LoggerMessage(40, LogLevel.Warning, "Saga {TransactionId} parked as NEEDS_ATTENTION; retried every {Interval} or on ResumeSaga: {Reason}", EventName = "SagaParked")]
    public static partial void SagaParked(ILogger logger, string transactionId, TimeSpan interval, string reason);

    [LoggerMessage(41, LogLevel.Information, "Saga {TransactionId} resumed from NEEDS_ATTENTION by {Trigger}: {Note}", EventName = "ParkedSagaResumed")]
    public static partial void ParkedSagaResumed(ILogger logger, string transactionId, string trigger, string? note);

    [LoggerMessage(42, LogLevel.Error, "Saga {TransactionId}: retry of a parked saga failed; trying again in {Interval}", EventName = "ParkedSagaRetryFailed")]
    public static partial void ParkedSagaRetryFailed(ILogger logger, string transactionId, TimeSpan interval, Exception error);

    [LoggerMessage(43, LogLevel.Warning, "Saga {TransactionId}: optional step {Step} {Outcome}", EventName = "OptionalStepUnknown")]
    public static partial void OptionalStepUnknown(ILogger logger, string transactionId, string step, string outcome);

    [LoggerMessage(44, LogLevel.Error, "Timeout sweeper: {Work} failed; the sweeper goes on", EventName = "SweepFailed")]
    public static partial void SweepFailed(ILogger logger, string work, Exception error);

    [LoggerMessage(45, LogLevel.Error, "Transaction {TransactionId}: aborting it after its deadline failed; the next sweep tries again", EventName = "ExpiredAbortFailed")]
    public static partial void ExpiredAbortFailed(ILogger logger, string transactionId, Exception error);

    [LoggerMessage(46, LogLevel.Information, "Decision log {DataPath} with log identity {LogId}", EventName = "LogOpened")]
    public static partial void LogOpened(ILogger logger, string dataPath, string logId);

    [LoggerMessage(47, LogLevel.Error, "Transaction {TransactionId}: log mismatch: a participant prepared it under decision log {ExpectedLogId}, this coordinator runs log {LogId} and has no record; not presuming abort", EventName = "LogMismatch")]
    public static partial void LogMismatch(ILogger logger, string transactionId, string expectedLogId, string logId);

    [LoggerMessage(11, LogLevel.Debug, "Transaction {TransactionId}: background work stopped by shutdown; recovery resumes it from the log", EventName = "DriverStopped")]
    public static partial void DriverStopped(ILogger logger, string transactionId);

    [LoggerMessage(12, LogLevel.Debug, "Transaction {TransactionId}: one-phase branch {BranchId} unreachable on attempt {Attempt}: {Error}", EventName = "OnePhaseRetry")]
    public static partial void OnePhaseRetry(ILogger logger, string transactionId, int branchId, int attempt, string error);

    [LoggerMessage(13, LogLevel.Warning, "Transaction {TransactionId}: the abandoned Prepare to branch {BranchId} failed (phase 1 had decided without its vote)", EventName = "AbandonedPrepareFailed")]
    public static partial void AbandonedPrepareFailed(ILogger logger, string transactionId, int branchId, Exception error);

    [LoggerMessage(14, LogLevel.Warning, "Transaction {TransactionId}: background work did not end before the shutdown deadline; recovery resumes the transaction from the log after the next start", EventName = "DriverNotStopped")]
    public static partial void DriverNotStopped(ILogger logger, string transactionId);

    [LoggerMessage(15, LogLevel.Error, "Transaction {TransactionId}: background work faulted", EventName = "BackgroundWorkFailed")]
    public static partial void BackgroundWorkFailed(ILogger logger, string transactionId, Exception error);

    [LoggerMessage(20, LogLevel.Warning, "Transaction {TransactionId}: decision rewrite attempt {Attempt} failed; retrying", EventName = "DecisionRewriteFailed")]
    public static partial void DecisionRewriteFailed(ILogger logger, string transactionId, int attempt, Exception error);

    [LoggerMessage(50, LogLevel.Warning, "Claimed {Count} unfinished transactions of coordinator instances whose lease expired ({Ids}); resuming them", EventName = "OrphansClaimed")]
    public static partial void OrphansClaimed(ILogger logger, int count, string ids);

    [LoggerMessage(51, LogLevel.Information, "Coordinator instance {InstanceId} holds a lease of {LeaseDuration} on the shared decision log {LogId}", EventName = "LeaseAcquired")]
    public static partial void LeaseAcquired(ILogger logger, string instanceId, TimeSpan leaseDuration, string logId);

    [LoggerMessage(52, LogLevel.Warning, "Renewing the lease of coordinator instance {InstanceId} failed; retrying", EventName = "LeaseRenewFailed")]
    public static partial void LeaseRenewFailed(ILogger logger, string instanceId, Exception error);

    [LoggerMessage(53, LogLevel.Critical, "Coordinator instance {InstanceId} lost its lease ({Why}); other instances may claim its transactions, so it stops deciding and shuts down", EventName = "LeaseLost")]
    public static partial void LeaseLost(ILogger logger, string instanceId, string why);

    [LoggerMessage(54, LogLevel.Error, "Claiming transactions of expired coordinator instances failed; the next scan retries", EventName = "ClaimFailed")]
    public static partial void ClaimFailed(ILogger logger, Exception error);
}
