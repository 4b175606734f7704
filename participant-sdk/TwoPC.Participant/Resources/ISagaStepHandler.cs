namespace TwoPC.Participant.Resources;

/// <summary>
/// A saga step hosted by this participant. The SDK's barrier makes both calls exactly-once in effect: duplicates
/// get the first answer, a compensation whose action never ran does nothing, and an action arriving after its
/// compensation is refused.
/// </summary>
public interface ISagaStepHandler
{
    /// <summary>
    /// Coordinator → participant, the action. Add local writes with <see cref="LocalWriteContext.Write"/>; they commit
    /// with the barrier row when the result is <see cref="StepResult.Succeeded"/> and are dropped when it is
    /// <see cref="StepResult.Failed"/>. Throwing is a transient error: nothing is recorded, the coordinator retries.
    /// </summary>
    ValueTask<StepResult> ExecuteAsync(SagaStepContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Coordinator → participant, the compensation of a succeeded action. Its writes commit with the barrier row.
    /// Throwing is a transient error: nothing is recorded, the coordinator retries.
    /// </summary>
    ValueTask CompensateAsync(SagaStepContext context, CancellationToken cancellationToken);
}
