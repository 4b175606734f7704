using TwoPC.Participant.Diagnostics;
using TwoPC.Participant.Resources;
using TwoPC.Participant.Storage;

namespace TwoPC.Participant.TwoPhase;

internal sealed partial class BranchEngine
{
    /// <summary>Phase 2 COMMIT. Idempotent; FailedPrecondition for a branch never prepared or already aborted.</summary>
    public async ValueTask<BranchOutcome> CommitAsync(BranchCommand command, CancellationToken cancellationToken)
    {
        ValidateBranch(command.TransactionId, command.BranchId);
        StoreWrites.RequireWorking(_store);
        using var held = await _locks.AcquireAsync(BranchRecord.KeyOf(command.TransactionId, command.BranchId), cancellationToken).ConfigureAwait(false);
        var record = await FindAsync(command.TransactionId, command.BranchId, cancellationToken).ConfigureAwait(false);
        switch (record?.Status)
        {
            case null:
                throw new ParticipantException(ParticipantErrorKind.FailedPrecondition,
                    $"branch {command.TransactionId}/{command.BranchId} was never prepared here; Commit requires a PREPARED vote.");
            case BranchStatus.Committed:
            case BranchStatus.ReadOnly:
                await RewriteAsync(record, "commit (duplicate)").ConfigureAwait(false);
                return BranchOutcome.Committed;
            case BranchStatus.VotedAbort:
            case BranchStatus.Aborted:
                throw new ParticipantException(ParticipantErrorKind.FailedPrecondition,
                    $"branch {command.TransactionId}/{command.BranchId} is already aborted; it cannot commit.");
        }

        await DecideAsync(record, BranchStatus.Committed, cancellationToken).ConfigureAwait(false);
        return BranchOutcome.Committed;
    }

    /// <summary>
    /// Phase 2 ABORT. Idempotent; an Abort for an unknown branch writes a tombstone so a late Prepare votes ABORT;
    /// FailedPrecondition for a committed branch.
    /// </summary>
    public async ValueTask<BranchOutcome> AbortAsync(BranchCommand command, CancellationToken cancellationToken)
    {
        ValidateBranch(command.TransactionId, command.BranchId);
        StoreWrites.RequireWorking(_store);
        using var held = await _locks.AcquireAsync(BranchRecord.KeyOf(command.TransactionId, command.BranchId), cancellationToken).ConfigureAwait(false);
        var record = await FindAsync(command.TransactionId, command.BranchId, cancellationToken).ConfigureAwait(false);
        switch (record?.Status)
        {
            case null:
                await WriteTombstoneAsync(command).ConfigureAwait(false);
                return BranchOutcome.Aborted;
            case BranchStatus.Aborted:
            case BranchStatus.VotedAbort:
            case BranchStatus.ReadOnly:
                await RewriteAsync(record, "abort (duplicate)").ConfigureAwait(false);
                return BranchOutcome.Aborted;
            case BranchStatus.Committed:
                throw new ParticipantException(ParticipantErrorKind.FailedPrecondition,
                    $"branch {command.TransactionId}/{command.BranchId} is already committed; it cannot abort.");
        }

        await DecideAsync(record, BranchStatus.Aborted, cancellationToken).ConfigureAwait(false);
        return BranchOutcome.Aborted;
    }

    /// <summary>Lets the resource take its locks again for a branch still prepared after a restart.</summary>
    public async ValueTask RecoverAsync(BranchRecord record, CancellationToken cancellationToken)
    {
        var resource = RequireResource(record.Resource);
        var context = ContextOf(record);
        await CallResourceAsync(() => resource.RecoverAsync(context, cancellationToken),
            record.Resource, "recover", record.TransactionId, record.BranchId, cancellationToken).ConfigureAwait(false);
        if (context.Writes.Count > 0)
        {
            await WriteAsync(new StoreWrite { Force = true, LocalWrites = context.Writes }, resourceRan: true, "recover", record.TransactionId).ConfigureAwait(false);
        }
    }

    private async Task DecideAsync(BranchRecord record, BranchStatus final, CancellationToken cancellationToken)
    {
        var resource = RequireResource(record.Resource);
        var context = ContextOf(record);
        var committing = final == BranchStatus.Committed;
        await CallResourceAsync(() => committing ? resource.CommitAsync(context, cancellationToken) : resource.AbortAsync(context, cancellationToken),
            record.Resource, committing ? "commit" : "abort", record.TransactionId, record.BranchId, cancellationToken).ConfigureAwait(false);

        var decided = record with { Status = final, DecidedAt = _time.GetUtcNow() };
        await WriteAsync(new StoreWrite { Force = true, LocalWrites = context.Writes, Branch = decided }, resourceRan: true,
            committing ? "commit" : "abort", record.TransactionId).ConfigureAwait(false);
        if (committing) Fault("participant.commit-durable", record.TransactionId);
        _counters.Add(committing ? ParticipantCounters.Committed : ParticipantCounters.Aborted);
        ParticipantLog.BranchDecided(_logger, record.TransactionId, record.BranchId, final.ToString());
    }

    private async Task WriteTombstoneAsync(BranchCommand command)
    {
        var now = _time.GetUtcNow();
        var tombstone = new BranchRecord(command.TransactionId, command.BranchId, command.Resource, Array.Empty<byte>(), null, "",
            BranchStatus.Aborted, "the branch was aborted before Prepare", Tombstone: true, now, now);
        await WriteAsync(new StoreWrite { Force = true, Branch = tombstone }, resourceRan: false, "abort", command.TransactionId).ConfigureAwait(false);
        _counters.Add(ParticipantCounters.Tombstones);
        ParticipantLog.Tombstone(_logger, command.TransactionId, command.BranchId);
    }

    private BranchContext ContextOf(BranchRecord record) =>
        new(_store.TransactionType, _serializer, record.TransactionId, record.BranchId, record.Resource, record.Payload, record.State, record.CoordinatorAddress);
}
