using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TwoPC.Participant.Diagnostics;
using TwoPC.Participant.Hosting;
using TwoPC.Participant.Resources;
using TwoPC.Participant.Storage;
using TwoPC.Participant.TwoPhase;

namespace TwoPC.Participant.Barrier;

/// <summary>
/// Runs saga actions and compensations at most once in effect: the barrier row is written in the same local
/// transaction as the handler's writes, serialized per (transaction, step).
/// </summary>
internal sealed partial class SagaBarrier
{
    private readonly IParticipantStore _store;
    private readonly HandlerRegistry _registry;
    private readonly ParticipantCounters _counters;
    private readonly TimeProvider _time;
    private readonly ParticipantOptions _options;
    private readonly ILogger<SagaBarrier> _logger;
    private readonly KeyedLock _locks = new();

    public SagaBarrier(IParticipantStore store, HandlerRegistry registry, ParticipantCounters counters, TimeProvider time,
        IOptions<ParticipantOptions> options, ILogger<SagaBarrier> logger)
    {
        _store = store;
        _registry = registry;
        _counters = counters;
        _time = time;
        _options = options.Value;
        _logger = logger;
    }

    private ISagaStepHandler Validate(StepCommand command)
    {
        StoreWrites.RequireWorking(_store);
        Validation.RequireId(command.TransactionId, "transaction_id");
        Validation.RequireId(command.StepName, "step_name");
        Validation.RequireId(command.Handler, "resource");
        Validation.RequirePayload(command.Payload.Length, _options.MaxPayloadBytes, "payload");
        return _registry.FindSagaStep(command.Handler)
            ?? throw new ParticipantException(ParticipantErrorKind.NotFound, $"saga step '{command.Handler}' is not hosted by this participant.");
    }

    private ValueTask<BarrierRow?> FindAsync(StepCommand command, string operation, CancellationToken cancellationToken) =>
        _store.FindBarrierAsync(command.TransactionId, command.StepName, operation, cancellationToken);

    private ValueTask<IDisposable> LockAsync(StepCommand command, CancellationToken cancellationToken) =>
        _locks.AcquireAsync(command.TransactionId + "/" + command.StepName, cancellationToken);

    /// <summary>A forced write; <paramref name="handlerRan"/>: any failure stops the store (see <see cref="StoreWrites"/>).</summary>
    private Task WriteAsync(StoreWrite write, bool handlerRan, string operation, string transactionId) =>
        StoreWrites.WriteAsync(_store, _logger, write, handlerRan, operation, transactionId);

    /// <summary>A forced write of a new barrier row with the handler's local writes.</summary>
    private Task InsertAsync(BarrierRow row, IReadOnlyList<LocalWrite> localWrites, bool handlerRan, string operation) =>
        WriteAsync(new StoreWrite { Force = true, LocalWrites = localWrites, Barrier = row, BarrierMode = BarrierWriteMode.Insert }, handlerRan, operation, row.TransactionId);

    /// <summary>Writes a barrier row again, forced, before a duplicate is answered from it (a bare flush proves nothing).</summary>
    private Task RewriteAsync(BarrierRow row, string operation) =>
        WriteAsync(new StoreWrite { Force = true, Barrier = row, BarrierMode = BarrierWriteMode.Rewrite }, handlerRan: false, operation, row.TransactionId);

    private async Task CallHandlerAsync(Func<Task> call, StepCommand command, string operation, CancellationToken cancellationToken)
    {
        // Never call a handler again once a write failed: its memory may hold an effect whose row is not on disk.
        StoreWrites.RequireWorking(_store);
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            ParticipantLog.SagaHandlerFailed(_logger, ex, command.Handler, operation, command.TransactionId, command.StepName);
            throw ParticipantException.Transient($"saga step '{command.Handler}' failed in {operation}", ex);
        }
    }
}
