namespace TwoPC;

/// <summary>
/// Fixed limits of the TwoPC protocol that both sides check, compiled into each assembly from <c>common/</c> so the
/// coordinator and the participant SDK cannot drift apart. Configurable limits (payload size, branches per
/// transaction, timeouts) are options, not here. Error messages name the proto field and state the limit.
/// </summary>
internal static class ProtocolLimits
{
    /// <summary>
    /// Longest name or id: <c>EnlistRequest.resource</c>, <c>SagaStep.name</c>, <c>SagaStep.resource</c>, and on the
    /// participant the ids and names of its requests (<c>PrepareRequest.transaction_id</c>, <c>resource</c>,
    /// <c>ExecuteRequest.step_name</c>, ...).
    /// </summary>
    public const int MaxNameLength = 200;

    /// <summary>
    /// Longest key: <c>BeginRequest.idempotency_key</c>, <c>RunSagaRequest.idempotency_key</c>,
    /// <c>EnlistRequest.branch_key</c>, and the decision log's identity (<c>PrepareRequest.log_id</c>,
    /// <c>GetTransactionRequest.log_id</c>).
    /// </summary>
    public const int MaxKeyLength = 128;

    /// <summary>Page size of <c>ListTransactionsRequest.page_size</c> when it is 0.</summary>
    public const int DefaultPageSize = 100;

    /// <summary>Largest <c>ListTransactionsRequest.page_size</c>.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>Longest operator note, <c>ResumeSagaRequest.reason</c>.</summary>
    public const int MaxResumeNoteLength = 1000;

    /// <summary>Most action attempts a saga step may ask for, <c>SagaStep.retry.max_attempts</c>.</summary>
    public const int MaxStepAttempts = 100;

    /// <summary>
    /// Largest per-attempt timeout or backoff a saga step may ask for: <c>SagaStep.timeout</c>,
    /// <c>SagaStep.retry.initial_backoff</c>, <c>SagaStep.retry.max_backoff</c>.
    /// </summary>
    public static readonly TimeSpan MaxStepDuration = TimeSpan.FromHours(1);
}
