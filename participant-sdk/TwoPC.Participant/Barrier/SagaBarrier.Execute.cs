using TwoPC.Participant.Diagnostics;
using TwoPC.Participant.Resources;
using TwoPC.Participant.Storage;

namespace TwoPC.Participant.Barrier;

internal sealed partial class SagaBarrier
{
    /// <summary>
    /// The action: refused after its compensation, answered from the barrier row when it already ran, otherwise run
    /// and recorded together with the resource's writes.
    /// </summary>
    public async ValueTask<ExecuteAnswer> ExecuteAsync(StepCommand command, CancellationToken cancellationToken)
    {
        var resource = Validate(command);
        using var held = await LockAsync(command, cancellationToken).ConfigureAwait(false);
        if (await FindAsync(command, BarrierRow.Compensation, cancellationToken).ConfigureAwait(false) is not null)
        {
            _counters.Add(ParticipantCounters.RejectedAfterCompensation);
            ParticipantLog.BarrierHit(_logger, "execute", command.TransactionId, command.StepName, "rejected after compensation");
            return new ExecuteAnswer(ExecuteOutcome.RejectedAfterCompensation, Array.Empty<byte>(), "the step was already compensated");
        }

        if (await FindAsync(command, BarrierRow.Action, cancellationToken).ConfigureAwait(false) is { } done)
        {
            await RewriteAsync(done, "execute (duplicate)").ConfigureAwait(false);
            _counters.Add(ParticipantCounters.DuplicateExecute);
            ParticipantLog.BarrierHit(_logger, "execute", command.TransactionId, command.StepName, "duplicate");
            return new ExecuteAnswer((ExecuteOutcome)done.Result, done.Output, done.Reason);
        }

        var context = new SagaStepContext(_store.TransactionType, _serializer, command.TransactionId, command.StepName, command.Resource, command.Payload, command.Attempt, null);
        StepResult result = null!;
        await CallResourceAsync(async () => result = await resource.ExecuteAsync(context, cancellationToken).ConfigureAwait(false),
            command, "execute", cancellationToken).ConfigureAwait(false);

        var outcome = result.IsSucceeded ? ExecuteOutcome.Succeeded : ExecuteOutcome.Failed;
        var row = new BarrierRow(command.TransactionId, command.StepName, BarrierRow.Action, (int)outcome, result.Output, result.Reason, _time.GetUtcNow());
        await InsertAsync(row, result.IsSucceeded ? context.Writes : [], resourceRan: true, "execute").ConfigureAwait(false);
        _counters.Add(ParticipantCounters.Executed);
        return new ExecuteAnswer(outcome, row.Output, row.Reason);
    }
}
