using TwoPC.Participant.Diagnostics;
using TwoPC.Participant.Resources;
using TwoPC.Participant.Storage;

namespace TwoPC.Participant.Barrier;

internal sealed partial class SagaBarrier
{
    /// <summary>
    /// The compensation: answered from the barrier row when it already ran; recorded as a null compensation when the
    /// action never ran (or failed, so there is nothing to undo); otherwise run and recorded with the resource's writes.
    /// </summary>
    public async ValueTask<CompensateOutcome> CompensateAsync(StepCommand command, CancellationToken cancellationToken)
    {
        var resource = Validate(command);
        using var held = await LockAsync(command, cancellationToken).ConfigureAwait(false);
        if (await FindAsync(command, BarrierRow.Compensation, cancellationToken).ConfigureAwait(false) is { } done)
        {
            await RewriteAsync(done, "compensate (duplicate)").ConfigureAwait(false);
            ParticipantLog.BarrierHit(_logger, "compensate", command.TransactionId, command.StepName, "duplicate");
            return (CompensateOutcome)done.Result;
        }

        var action = await FindAsync(command, BarrierRow.Action, cancellationToken).ConfigureAwait(false);
        if (action is null || action.Result != (int)ExecuteOutcome.Succeeded)
        {
            var nullRow = new BarrierRow(command.TransactionId, command.StepName, BarrierRow.Compensation,
                (int)CompensateOutcome.NullCompensation, Array.Empty<byte>(), action is null ? "action never ran" : "action failed", _time.GetUtcNow());
            await InsertAsync(nullRow, [], resourceRan: false, "compensate").ConfigureAwait(false);
            _counters.Add(ParticipantCounters.NullCompensations);
            ParticipantLog.BarrierHit(_logger, "compensate", command.TransactionId, command.StepName, "null compensation");
            return CompensateOutcome.NullCompensation;
        }

        var context = new SagaStepContext(_store.TransactionType, _serializer, command.TransactionId, command.StepName, command.Resource, command.Payload, command.Attempt, action.Output);
        await CallResourceAsync(() => resource.CompensateAsync(context, cancellationToken).AsTask(), command, "compensate", cancellationToken).ConfigureAwait(false);
        var row = new BarrierRow(command.TransactionId, command.StepName, BarrierRow.Compensation,
            (int)CompensateOutcome.Compensated, Array.Empty<byte>(), "", _time.GetUtcNow());
        await InsertAsync(row, context.Writes, resourceRan: true, "compensate").ConfigureAwait(false);
        _counters.Add(ParticipantCounters.Compensated);
        return CompensateOutcome.Compensated;
    }
}
