using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Participants;

/// <summary>The answer to Prepare.</summary>
/// <param name="Vote">The vote.</param>
/// <param name="Reason">Why the branch voted abort.</param>
/// <param name="OnePhaseCommitted">For one-phase Prepare: true when the branch committed.</param>
public readonly record struct PrepareReply(Vote Vote, string? Reason, bool? OnePhaseCommitted = null);

/// <summary>What a saga action returned.</summary>
public enum StepOutcome
{
    /// <summary>The action committed locally.</summary>
    Succeeded,

    /// <summary>Definitive business failure: compensate, don't retry.</summary>
    Failed,

    /// <summary>The participant's barrier refused the action because its compensation already ran.</summary>
    RejectedAfterCompensation,
}

/// <summary>The answer to a saga action.</summary>
public readonly record struct ExecuteReply(StepOutcome Outcome, byte[] Output, string? Reason);

/// <summary>
/// Coordinator → participant messages, transport-neutral. Every method may throw
/// <see cref="ParticipantUnreachableException"/> when the outcome of the call is unknown (timeout, connection
/// loss): the caller retries, relying on the participant's idempotency. Any other exception is a definitive
/// rejection of the request (bad request, unknown resource).
/// </summary>
public interface IParticipantClient
{
    /// <summary>Phase 1. Answered with the branch's vote; a duplicate returns the first vote.</summary>
    Task<PrepareReply> PrepareAsync(BranchRecord branch, string transactionId, bool onePhase, DateTimeOffset deadline, CancellationToken cancellationToken);

    /// <summary>Phase 2 after a durable commit decision. Idempotent.</summary>
    Task CommitAsync(BranchRecord branch, string transactionId, CancellationToken cancellationToken);

    /// <summary>Phase 2 after an abort decision. Idempotent.</summary>
    Task AbortAsync(BranchRecord branch, string transactionId, CancellationToken cancellationToken);

    /// <summary>Saga action, at least once.</summary>
    Task<ExecuteReply> ExecuteAsync(SagaStepRecord step, string transactionId, int attempt, CancellationToken cancellationToken);

    /// <summary>Saga compensation, at least once. Returns true for a null compensation (the action never ran).</summary>
    Task<bool> CompensateAsync(SagaStepRecord step, string transactionId, int attempt, CancellationToken cancellationToken);

    /// <summary>The 2PC resources and saga steps the participant at <paramref name="address"/> hosts.</summary>
    Task<(IReadOnlyList<string> Resources, IReadOnlyList<string> SagaSteps)> DescribeAsync(string address, CancellationToken cancellationToken);
}

/// <summary>The call's outcome is unknown (no answer, timeout, connection lost). Retry; the participant is idempotent.</summary>
public sealed class ParticipantUnreachableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The participant definitively rejected the call (unknown resource, bad request, protocol violation).</summary>
public sealed class ParticipantRejectedException(string message, Exception? inner = null) : Exception(message, inner);
