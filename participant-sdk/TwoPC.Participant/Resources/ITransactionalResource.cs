namespace TwoPC.Participant.Resources;

/// <summary>
/// A resource that takes part in two-phase commit. The SDK calls it from the participant endpoint; every call for
/// one branch is serialized, and duplicates are answered by the SDK from its own records without calling again.
/// </summary>
/// <remarks>
/// <para><b>What a resource must promise.</b> The SDK records each call's outcome durably, together with the writes the
/// call added (<see cref="LocalWriteContext.Write"/>), after the call returns. If that record write fails — the disk
/// failed, or one of the call's own writes threw — the call's in-memory effects may be applied while the disk holds
/// neither the record nor the writes. The SDK then <b>fail-stops</b>: the store refuses every later call, so the
/// resource is never called again for anything in this process, and the host ends the process (see
/// <c>IStorageFailStop</c>). In-memory effects may therefore be lost by a fail-stop (or any crash): keep the durable
/// truth in the store (through <see cref="LocalWriteContext.Write"/>) and rebuild memory from it at start, and take
/// prepared branches' locks again in <see cref="RecoverAsync"/>.</para>
/// </remarks>
public interface ITransactionalResource
{
    /// <summary>
    /// Coordinator → participant, phase 1. Validate the payload and take whatever locks the change needs.
    /// Return <see cref="PrepareResult.Prepared"/> only if a later <see cref="CommitAsync"/> cannot fail for business
    /// reasons. Writes added with <see cref="LocalWriteContext.Write"/> are made durable together with the prepared record.
    /// Throwing is a definite ABORT vote carrying the exception's message: it is recorded like
    /// <see cref="PrepareResult.Abort"/>, the writes added before throwing are dropped, and the branch is never called
    /// again (no Commit, Abort or second Prepare), so release anything taken before throwing.
    /// </summary>
    ValueTask<PrepareResult> PrepareAsync(PrepareContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Coordinator → participant, phase 2 after a durable COMMIT decision (or one-phase commit). Apply the change,
    /// typically through <see cref="LocalWriteContext.Write"/> so it commits atomically with the committed record.
    /// Called once per branch unless it throws (then it is retried later, so throw before changing memory). A cancelled
    /// call never abandons the record write, and a failed record write fail-stops the process (see the remarks), so a
    /// commit that returned is never applied a second time in the same process. In one-phase commit (the transaction's
    /// only branch, Commit called right after Prepare) a Commit that throws aborts the branch instead: the SDK calls
    /// <see cref="AbortAsync"/> at once to release what Prepare took, and the transaction aborts with the message.
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
