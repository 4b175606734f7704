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
        Validation.RequireId(command.TransactionId, "transaction_id");
        Validation.RequireId(command.StepName, "step_name");
        Validation.RequireId(command.Handler, "resource");
        Validation.RequirePayload(command.Payload.Length, _options.MaxPayloadBytes, "payload");
        return _registry.FindSagaStep(command.Handler)
            ?? throw new ParticipantException(ParticipantErrorKind.NotFound, $"saga step '{command.Handler}' is not hosted by this participant.");
    }

    private BarrierRow? Find(StepCommand command, string operation) =>
        BarrierLog.Find(_store.Database, command.TransactionId, command.StepName, operation);

    private ValueTask<IDisposable> LockAsync(StepCommand command, CancellationToken cancellationToken) =>
        _locks.AcquireAsync(command.TransactionId + "/" + command.StepName, cancellationToken);

    private async Task WriteAsync(Action<LiteDB.LiteDatabase> write, string operation, string transactionId, CancellationToken cancellationToken)
    {
        try
        {
            // Not cancellable: the handler has run; abandoning its barrier row because the caller went away would let
            // a retry run the handler's effect a second time.
            _ = cancellationToken;
            await _store.Committer.WriteAsync(write, force: true, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            ParticipantLog.StorageFailed(_logger, ex, operation, transactionId);
            throw ParticipantException.Transient($"{operation}: the local write failed", ex);
        }
    }

    private Task FlushAsync(string transactionId, CancellationToken cancellationToken) =>
        WriteAsync(static _ => { }, "flush", transactionId, cancellationToken);

    private async Task CallHandlerAsync(Func<Task> call, StepCommand command, string operation, CancellationToken cancellationToken)
    {
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
