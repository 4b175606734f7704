namespace TwoPC.Participant.Resources;

/// <summary>
/// A resource that takes part in two-phase commit. The SDK calls it from the participant endpoint; every call for
/// one branch is serialized, and duplicates are answered by the SDK from its own records without calling again.
/// </summary>
public interface ITransactionalResource
{
    /// <summary>
    /// Coordinator → participant, phase 1. Validate the payload and take whatever locks the change needs.
    /// Return <see cref="PrepareResult.Prepared"/> only if a later <see cref="CommitAsync"/> cannot fail for business
    /// reasons. Writes added with <see cref="LocalWriteContext.Write"/> are made durable together with the prepared record.
    /// Throwing is a transient error: nothing is recorded and the coordinator may ask again.
    /// </summary>
    ValueTask<PrepareResult> PrepareAsync(PrepareContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Coordinator → participant, phase 2 after a durable COMMIT decision (or one-phase commit). Apply the change,
    /// typically through <see cref="LocalWriteContext.Write"/> so it commits atomically with the committed record.
    /// Called once per branch unless it throws (then it is retried later), or unless the SDK's own record write fails
    /// afterwards (a storage error, not a cancelled call: that write is never abandoned) — then it is called again, so
    /// keep any in-memory effect idempotent per branch or derive it from the store.
    /// </summary>
    ValueTask CommitAsync(BranchContext context, CancellationToken cancellationToken);

    /// <summary>Coordinator → participant, phase 2 after an ABORT decision for a prepared branch. Release the locks.</summary>
    ValueTask AbortAsync(BranchContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Called at start for every branch still prepared (in doubt), before it is resolved, so the resource can take its
    /// locks again from <see cref="BranchContext.Payload"/> and <see cref="BranchContext.State"/>.
    /// </summary>
    ValueTask RecoverAsync(BranchContext context, CancellationToken cancellationToken);
}
