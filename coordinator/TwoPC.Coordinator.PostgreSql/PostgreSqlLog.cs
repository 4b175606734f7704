using Microsoft.Extensions.Logging;

namespace TwoPC.Coordinator.Storage.PostgreSql;

/// <summary>The PostgreSQL decision log's log messages (event ids 1100-1149).</summary>
internal static partial class PostgreSqlLog
{
    [LoggerMessage(EventId = 1100, EventName = "PostgreSqlLogOpened", Level = LogLevel.Information,
        Message = "PostgreSQL decision log {Where} opened: log id {LogId}, schema version {Version}, this instance {InstanceId}")]
    public static partial void Opened(ILogger logger, string where, string logId, int version, string instanceId);

    [LoggerMessage(EventId = 1101, EventName = "PostgreSqlSchemaMigrated", Level = LogLevel.Information,
        Message = "PostgreSQL decision log schema {Schema} migrated from version {From} to {To}")]
    public static partial void SchemaMigrated(ILogger logger, string schema, int from, int to);

    [LoggerMessage(EventId = 1102, EventName = "PostgreSqlSaveFenced", Level = LogLevel.Error,
        Message = "Transaction {TransactionId}: not written, instance {InstanceId} does not own it or its lease has expired")]
    public static partial void SaveFenced(ILogger logger, string transactionId, string instanceId);

    [LoggerMessage(EventId = 1103, EventName = "PostgreSqlBatchFailed", Level = LogLevel.Error,
        Message = "A batch of {Count} saves (first transaction {TransactionId}, forced: {Forced}) failed; some, none or all of it may be durable")]
    public static partial void BatchFailed(ILogger logger, int count, string transactionId, bool forced, Exception error);

    [LoggerMessage(EventId = 1104, EventName = "PostgreSqlFailStop", Level = LogLevel.Critical,
        Message = "PostgreSQL decision log {Where}: stopping this instance ({Reason})")]
    public static partial void FailStop(ILogger logger, string where, string reason, Exception error);

    [LoggerMessage(EventId = 1105, EventName = "PostgreSqlFailStopCallbackFailed", Level = LogLevel.Critical,
        Message = "PostgreSQL decision log {Where}: the fail-stop callback threw")]
    public static partial void FailStopCallbackFailed(ILogger logger, string where, Exception error);

    [LoggerMessage(EventId = 1106, EventName = "PostgreSqlLeaseLost", Level = LogLevel.Critical,
        Message = "Instance {InstanceId}: its lease had expired and cannot be renewed; it must stop deciding")]
    public static partial void LeaseLost(ILogger logger, string instanceId);

    [LoggerMessage(EventId = 1107, EventName = "PostgreSqlTransactionClaimed", Level = LogLevel.Information,
        Message = "Transaction {TransactionId} ({State}): claimed by instance {InstanceId} from an instance whose lease expired")]
    public static partial void Claimed(ILogger logger, string transactionId, Transactions.TransactionState state, string instanceId);

    [LoggerMessage(EventId = 1108, EventName = "PostgreSqlPresumedAbort", Level = LogLevel.Information,
        Message = "Transaction {TransactionId}: no record, stored as aborted (presumed abort) by instance {InstanceId}; stored state now {State}")]
    public static partial void PresumedAbort(ILogger logger, string transactionId, string instanceId, Transactions.TransactionState state);

    [LoggerMessage(EventId = 1109, EventName = "PostgreSqlIdempotencyKeyTaken", Level = LogLevel.Warning,
        Message = "Transaction {TransactionId}: not written, its idempotency key belongs to transaction {OtherTransactionId}")]
    public static partial void IdempotencyKeyTaken(ILogger logger, string transactionId, string otherTransactionId);
}
