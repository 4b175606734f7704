namespace TwoPC.Participant.Resources;

/// <summary>
/// A saga step hosted by this participant. The SDK's barrier makes both calls exactly-once in effect: duplicates
/// get the first answer, a compensation whose action never ran does nothing, and an action arriving after its
/// compensation is refused.
/// </summary>
/// <remarks>
/// The barrier row and the call's writes are forced together after the call returns. If that write fails (the disk,
/// or one of the call's own writes), the store fail-stops: it refuses every later call, the resource is never called
/// again in this process, and the host ends the process. In-memory effects may be lost that way: keep the durable truth
/// in the store (<see cref="LocalWriteContext.Write"/>) and rebuild memory from it at start.
/// </remarks>
public interface ISagaStepResource
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
