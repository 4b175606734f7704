namespace TwoPC.Participant.Resources;

/// <summary>
/// A saga step resource with typed payloads: the same barrier and promises as <see cref="ISagaStepResource"/>, with the
/// action's payload read as <typeparamref name="TAction"/> and the compensation's as <typeparamref name="TCompensation"/>
/// by the participant's <c>ITwoPcSerializer</c>. Return an output with <see cref="SagaStepContext.Succeeded{TOutput}"/>
/// and read it at compensation with <see cref="SagaStepContext.ReadActionOutput{TOutput}"/>. Register it with
/// <c>AddSagaStep&lt;TStep, TAction, TCompensation&gt;(name)</c>. A payload that cannot be read is a transient error
/// (nothing is recorded; the coordinator retries, then fails or parks the step).
/// </summary>
/// <typeparam name="TAction">The step's action payload, as the saga builder sent it.</typeparam>
/// <typeparam name="TCompensation">The step's compensation payload, as the saga builder sent it.</typeparam>
public interface ISagaStepResource<in TAction, in TCompensation>
{
    /// <summary>The action; see <see cref="ISagaStepResource.ExecuteAsync"/>.</summary>
    ValueTask<StepResult> ExecuteAsync(TAction action, SagaStepContext context, CancellationToken cancellationToken);

    /// <summary>The compensation of a succeeded action; see <see cref="ISagaStepResource.CompensateAsync"/>.</summary>
    ValueTask CompensateAsync(TCompensation compensation, SagaStepContext context, CancellationToken cancellationToken);
}
