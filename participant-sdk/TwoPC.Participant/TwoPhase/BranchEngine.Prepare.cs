using TwoPC.Client;
using TwoPC.Participant.Diagnostics;
using TwoPC.Participant.Resources;
using TwoPC.Participant.Storage;

namespace TwoPC.Participant.TwoPhase;

internal sealed partial class BranchEngine
{
    /// <summary>
    /// Phase 1. Forces a prepared record before answering PREPARED; a duplicate answers the first vote; a Prepare
    /// after an Abort votes ABORT without calling the resource. With one_phase, commits in the same forced write.
    /// A resource that throws votes ABORT with the exception's message (recorded like any abort vote, so a retry gets
    /// the same answer at once instead of calling the resource until the deadline).
    /// </summary>
    public async ValueTask<PrepareAnswer> PrepareAsync(PrepareCommand command, CancellationToken cancellationToken)
    {
        ValidateBranch(command.TransactionId, command.BranchId);
        Validation.RequireId(command.Resource, "resource");
        Validation.RequirePayload(command.Payload.Length, _options.MaxPayloadBytes, "payload");
        Validation.CheckLogId(command.LogId);
        var resource = RequireResource(command.Resource);
        StoreWrites.RequireWorking(_store);

        using var held = await _locks.AcquireAsync(BranchRecord.KeyOf(command.TransactionId, command.BranchId), cancellationToken).ConfigureAwait(false);
        var existing = await FindAsync(command.TransactionId, command.BranchId, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            await RewriteAsync(existing, "prepare (duplicate)").ConfigureAwait(false);
            _counters.Add(ParticipantCounters.DuplicatePrepare);
            return AnswerFrom(existing, command.OnePhase);
        }

        var context = new PrepareContext(_store.TransactionType, _serializer, command.TransactionId, command.BranchId, command.Resource, command.Payload, command.CoordinatorAddress, command.OnePhase);
        PrepareResult result;
        StoreWrites.RequireWorking(_store);
        try
        {
            result = await resource.PrepareAsync(context, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A definite no: the writes it added before throwing are dropped.
            ParticipantLog.ResourceFailed(_logger, ex, command.Resource, "prepare", command.TransactionId, command.BranchId);
            result = PrepareResult.Abort($"resource '{command.Resource}' failed in prepare: {ex.Message}");
            context = new PrepareContext(_store.TransactionType, _serializer, command.TransactionId, command.BranchId, command.Resource, command.Payload, command.CoordinatorAddress, command.OnePhase);
        }

        var answer = result.Vote switch
        {
            Vote.Prepared when command.OnePhase => await CommitOnePhaseAsync(command, context, result, resource, cancellationToken).ConfigureAwait(false),
            Vote.Prepared => await RecordVoteAsync(command, context, result, BranchStatus.Prepared, force: true, cancellationToken).ConfigureAwait(false),
            Vote.ReadOnly => await RecordVoteAsync(command, context, result, BranchStatus.ReadOnly, force: false, cancellationToken).ConfigureAwait(false),
            _ => await RecordVoteAsync(command, context, result, BranchStatus.VotedAbort, force: false, cancellationToken).ConfigureAwait(false),
        };
        ParticipantLog.BranchVoted(_logger, command.TransactionId, command.BranchId, command.Resource, answer.Vote.ToString());
        return answer;
    }

    private async Task<PrepareAnswer> RecordVoteAsync(PrepareCommand command, PrepareContext context, PrepareResult result, BranchStatus status, bool force, CancellationToken cancellationToken)
    {
        var record = NewRecord(command, result.State, status, result.Reason, decided: status != BranchStatus.Prepared);
        if (status == BranchStatus.Prepared) Fault("participant.before-prepared-record", command.TransactionId);
        await WriteAsync(new StoreWrite { Force = force, LocalWrites = context.Writes, Branch = record }, resourceRan: true, "prepare", command.TransactionId).ConfigureAwait(false);
        if (status == BranchStatus.Prepared) Fault("participant.prepared-durable", command.TransactionId);
        _counters.Add(status switch
        {
            BranchStatus.Prepared => ParticipantCounters.Prepared,
            BranchStatus.ReadOnly => ParticipantCounters.ReadOnly,
            _ => ParticipantCounters.VotedAbort,
        });
        return AnswerFrom(record, command.OnePhase);
    }

    private async Task<PrepareAnswer> CommitOnePhaseAsync(PrepareCommand command, PrepareContext context, PrepareResult result, ITransactionalResource resource, CancellationToken cancellationToken)
    {
        var commitContext = new BranchContext(_store.TransactionType, _serializer, command.TransactionId, command.BranchId, command.Resource, command.Payload, result.State, command.CoordinatorAddress);
        StoreWrites.RequireWorking(_store);
        try
        {
            await resource.CommitAsync(commitContext, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            ParticipantLog.ResourceFailed(_logger, ex, command.Resource, "commit (one phase)", command.TransactionId, command.BranchId);
            return await AbortOnePhaseAsync(command, context, result, resource, $"resource '{command.Resource}' failed in commit: {ex.Message}").ConfigureAwait(false);
        }

        var record = NewRecord(command, result.State, BranchStatus.Committed, "", decided: true);
        await WriteAsync(new StoreWrite { Force = true, LocalWrites = [.. context.Writes, .. commitContext.Writes], Branch = record },
            resourceRan: true, "prepare (one phase)", command.TransactionId).ConfigureAwait(false);
        _counters.Add(ParticipantCounters.OnePhaseCommitted);
        return AnswerFrom(record, onePhase: true);
    }

    /// <summary>
    /// One phase, Commit threw. A resource throws from Commit only before changing anything (its contract), so the
    /// branch aborts instead of being retried: a retried one-phase Prepare would run Prepare a second time. Abort
    /// releases what Prepare took; Prepare's and Abort's writes go down with the ABORT vote, as in two phases.
    /// </summary>
    private async Task<PrepareAnswer> AbortOnePhaseAsync(PrepareCommand command, PrepareContext context, PrepareResult result, ITransactionalResource resource, string reason)
    {
        var abortContext = new BranchContext(_store.TransactionType, _serializer, command.TransactionId, command.BranchId, command.Resource, command.Payload, result.State, command.CoordinatorAddress);
        try
        {
            // Not cancellable: Prepare's effects are in memory and must be released now or never.
            await resource.AbortAsync(abortContext, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // What Prepare took cannot be released, and calling Prepare again would take it twice: stop.
            ParticipantLog.ResourceFailed(_logger, ex, command.Resource, "abort (one phase)", command.TransactionId, command.BranchId);
            ParticipantLog.StoreStopped(_logger, "abort (one phase)", command.TransactionId);
            _store.FailStop(ex);
            throw ParticipantException.Transient($"resource '{command.Resource}' failed in abort", ex);
        }

        var record = NewRecord(command, result.State, BranchStatus.VotedAbort, reason, decided: true);
        await WriteAsync(new StoreWrite { Force = true, LocalWrites = [.. context.Writes, .. abortContext.Writes], Branch = record },
            resourceRan: true, "prepare (one phase, aborted)", command.TransactionId).ConfigureAwait(false);
        _counters.Add(ParticipantCounters.VotedAbort);
        return AnswerFrom(record, onePhase: true);
    }

    private BranchRecord NewRecord(PrepareCommand command, byte[]? state, BranchStatus status, string reason, bool decided)
    {
        var now = _time.GetUtcNow();
        return new BranchRecord(command.TransactionId, command.BranchId, command.Resource, command.Payload, state,
            command.CoordinatorAddress, status, reason, Tombstone: false, now, decided ? now : null, command.LogId);
    }

    private static PrepareAnswer AnswerFrom(BranchRecord record, bool onePhase) => record.Status switch
    {
        BranchStatus.Prepared => new(Vote.Prepared, "", BranchOutcome.None),
        BranchStatus.Committed => new(Vote.Prepared, "", onePhase ? BranchOutcome.Committed : BranchOutcome.None),
        BranchStatus.ReadOnly => new(Vote.ReadOnly, "", onePhase ? BranchOutcome.Committed : BranchOutcome.None),
        BranchStatus.VotedAbort => new(Vote.Abort, record.Reason, onePhase ? BranchOutcome.Aborted : BranchOutcome.None),
        _ => new(Vote.Abort, record.Tombstone ? "the branch was aborted before Prepare" : record.Reason, onePhase ? BranchOutcome.Aborted : BranchOutcome.None),
    };
}
