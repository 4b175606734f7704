using TwoPC.Client.Serialization;
using TwoPC.Participant.Resources;

namespace TwoPC.Participant.Hosting;

/// <summary>Runs a typed 2PC resource behind the byte-level interface the engine calls.</summary>
internal sealed class TypedTransactionalResource<TResource, TPayload>(TResource inner) : ITransactionalResource
    where TResource : ITransactionalResource<TPayload>
{
    public ValueTask<PrepareResult> PrepareAsync(PrepareContext context, CancellationToken cancellationToken)
    {
        TPayload payload;
        try
        {
            payload = context.ReadPayload<TPayload>();
        }
        catch (TwoPcSerializationException ex)
        {
            // Nothing was taken yet: a payload this resource cannot read is a definite no.
            return ValueTask.FromResult(PrepareResult.Abort(ex.Message));
        }

        return inner.PrepareAsync(payload, context, cancellationToken);
    }

    public ValueTask CommitAsync(BranchContext context, CancellationToken cancellationToken) =>
        inner.CommitAsync(context.ReadPayload<TPayload>(), context, cancellationToken);

    public ValueTask AbortAsync(BranchContext context, CancellationToken cancellationToken) =>
        inner.AbortAsync(context.ReadPayload<TPayload>(), context, cancellationToken);

    public ValueTask RecoverAsync(BranchContext context, CancellationToken cancellationToken) =>
        inner.RecoverAsync(context.ReadPayload<TPayload>(), context, cancellationToken);
}

/// <summary>Runs a typed saga step resource behind the byte-level interface the barrier calls.</summary>
internal sealed class TypedSagaStepResource<TStep, TAction, TCompensation>(TStep inner) : ISagaStepResource
    where TStep : ISagaStepResource<TAction, TCompensation>
{
    public ValueTask<StepResult> ExecuteAsync(SagaStepContext context, CancellationToken cancellationToken) =>
        inner.ExecuteAsync(context.ReadPayload<TAction>(), context, cancellationToken);

    public ValueTask CompensateAsync(SagaStepContext context, CancellationToken cancellationToken) =>
        inner.CompensateAsync(context.ReadPayload<TCompensation>(), context, cancellationToken);
}
