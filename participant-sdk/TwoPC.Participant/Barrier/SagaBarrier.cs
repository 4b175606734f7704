using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TwoPC.Client.Serialization;
using TwoPC.Participant.Diagnostics;
using TwoPC.Participant.Hosting;
using TwoPC.Participant.Resources;
using TwoPC.Participant.Storage;
using TwoPC.Participant.TwoPhase;

namespace TwoPC.Participant.Barrier;

/// <summary>
/// Runs saga actions and compensations at most once in effect: the barrier row is written in the same local
/// transaction as the resource's writes, serialized per (transaction, step).
/// </summary>
internal sealed partial class SagaBarrier
{
    private readonly IParticipantStore _store;
    private readonly ResourceRegistry _registry;
    private readonly ParticipantCounters _counters;
    private readonly TimeProvider _time;
    private readonly ParticipantOptions _options;
    private readonly ILogger<SagaBarrier> _logger;
    private readonly ITwoPcSerializer _serializer;
    private readonly KeyedLock _locks = new();

    public SagaBarrier(IParticipantStore store, ResourceRegistry registry, ParticipantCounters counters, TimeProvider time,
        IOptions<ParticipantOptions> options, ITwoPcSerializer serializer, ILogger<SagaBarrier> logger)
    {
        _store = store;
        _registry = registry;
        _counters = counters;
        _time = time;
        _options = options.Value;
        _serializer = serializer;
        _logger = logger;
    }

    private ISagaStepResource Validate(StepCommand command)
    {
        StoreWrites.RequireWorking(_store);
        Validation.RequireId(command.TransactionId, "transaction_id");
        Validation.RequireId(command.StepName, "step_name");
        Validation.RequireId(command.Resource, "resource");
        Validation.RequirePayload(command.Payload.Length, _options.MaxPayloadBytes, "payload");
        return _registry.FindSagaStep(command.Resource)
            ?? throw new ParticipantException(ParticipantErrorKind.NotFound, $"saga step '{command.Resource}' is not hosted by this participant.");
    }

    private ValueTask<BarrierRow?> FindAsync(StepCommand command, string operation, CancellationToken cancellationToken) =>
        _store.FindBarrierAsync(command.TransactionId, command.StepName, operation, cancellationToken);

    private ValueTask<IDisposable> LockAsync(StepCommand command, CancellationToken cancellationToken) =>
        _locks.AcquireAsync(command.TransactionId + "/" + command.StepName, cancellationToken);

    /// <summary>A forced write; <paramref name="resourceRan"/>: any failure stops the store (see <see cref="StoreWrites"/>).</summary>
    private Task WriteAsync(StoreWrite write, bool resourceRan, string operation, string transactionId) =>
        StoreWrites.WriteAsync(_store, _logger, write, resourceRan, operation, transactionId);

    /// <summary>A forced write of a new barrier row with the handler's local writes.</summary>
    private Task InsertAsync(BarrierRow row, IReadOnlyList<LocalWrite> localWrites, bool resourceRan, string operation) =>
        WriteAsync(new StoreWrite { Force = true, LocalWrites = localWrites, Barrier = row, BarrierMode = BarrierWriteMode.Insert }, resourceRan, operation, row.TransactionId);

    /// <summary>Writes a barrier row again, forced, before a duplicate is answered from it (a bare flush proves nothing).</summary>
    private Task RewriteAsync(BarrierRow row, string operation) =>
        WriteAsync(new StoreWrite { Force = true, Barrier = row, BarrierMode = BarrierWriteMode.Rewrite }, resourceRan: false, operation, row.TransactionId);

    private async Task CallResourceAsync(Func<Task> call, StepCommand command, string operation, CancellationToken cancellationToken)
    {
        // Never call a resource again once a write failed: its memory may hold an effect whose row is not on disk.
        StoreWrites.RequireWorking(_store);
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            ParticipantLog.SagaStepFailed(_logger, ex, command.Resource, operation, command.TransactionId, command.StepName);
            throw ParticipantException.Transient($"saga step '{command.Resource}' failed in {operation}", ex);
        }
    }
}
