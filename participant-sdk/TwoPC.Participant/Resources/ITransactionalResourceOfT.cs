namespace TwoPC.Participant.Resources;

/// <summary>
/// A 2PC resource with a typed payload: the same protocol and promises as <see cref="ITransactionalResource"/>, with
/// the Enlist payload read as <typeparamref name="TPayload"/> by the participant's <c>ITwoPcSerializer</c> before each
/// call. A payload that cannot be read makes Prepare vote ABORT with the reason. Register it with
/// <c>AddResource&lt;TResource, TPayload&gt;(name)</c>.
/// </summary>
/// <typeparam name="TPayload">What the client enlisted (<c>EnlistAsync&lt;TPayload&gt;</c>).</typeparam>
public interface ITransactionalResource<in TPayload>
{
    /// <summary>Phase 1; see <see cref="ITransactionalResource.PrepareAsync"/>. Keep state with <see cref="PrepareContext.Prepared{TState}"/>.</summary>
    ValueTask<PrepareResult> PrepareAsync(TPayload payload, PrepareContext context, CancellationToken cancellationToken);

    /// <summary>Phase 2 after COMMIT; see <see cref="ITransactionalResource.CommitAsync"/>. Read the kept state with <see cref="BranchContext.ReadState{TState}"/>.</summary>
    ValueTask CommitAsync(TPayload payload, BranchContext context, CancellationToken cancellationToken);

    /// <summary>Phase 2 after ABORT of a prepared branch; see <see cref="ITransactionalResource.AbortAsync"/>.</summary>
    ValueTask AbortAsync(TPayload payload, BranchContext context, CancellationToken cancellationToken);

    /// <summary>At start, for a branch still prepared; see <see cref="ITransactionalResource.RecoverAsync"/>.</summary>
    ValueTask RecoverAsync(TPayload payload, BranchContext context, CancellationToken cancellationToken);
}
