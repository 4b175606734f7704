using Grpc.Core;
using TwoPC.Coordinator.Transactions;
using Proto = TwoPC.Protocol.V1;

namespace TwoPC.Coordinator.Services;

internal sealed partial class CoordinatorGrpcService
{
    private static readonly SagaStepRecord Defaults = new();

    public override async Task<Proto.RunSagaResponse> RunSaga(Proto.RunSagaRequest request, ServerCallContext context)
    {
        var steps = request.Steps.Select(ToDomain).ToList();
        var record = await manager.RunSagaAsync(steps, request.IdempotencyKey, request.Wait, request.AmendsTransactionId, context.CancellationToken).ConfigureAwait(false);
        var response = new Proto.RunSagaResponse
        {
            TransactionId = record.Id,
            Outcome = record.State switch
            {
                TransactionState.SagaCompleted => Proto.SagaOutcome.Completed,
                TransactionState.SagaCompensated => Proto.SagaOutcome.Compensated,
                TransactionState.SagaNeedsAttention => Proto.SagaOutcome.NeedsAttention,
                _ => Proto.SagaOutcome.Running,
            },
            Reason = record.Reason ?? "",
        };
        response.Steps.AddRange(record.Steps.Select(ProtoMapper.ToProto));
        return response;
    }

    /// <summary>A step as the client defined it; zero values take the documented defaults.</summary>
    private static SagaStepRecord ToDomain(Proto.SagaStep s, int index)
    {
        var at = $"steps[{index}]";
        var retry = s.Retry ?? new Proto.RetryPolicy();
        var initial = ProtoMapper.ToTimeSpan(retry.InitialBackoff, at + ".retry.initial_backoff");
        var max = ProtoMapper.ToTimeSpan(retry.MaxBackoff, at + ".retry.max_backoff");
        var timeout = ProtoMapper.ToTimeSpan(s.Timeout, at + ".timeout");
        return new SagaStepRecord
        {
            Name = s.Name,
            Group = s.Group,
            Optional = s.Optional,
            ParticipantAddress = s.ParticipantAddress,
            Resource = s.Resource,
            ActionPayload = s.ActionPayload.ToByteArray(),
            CompensationPayload = s.HasCompensationPayload ? s.CompensationPayload.ToByteArray() : null,
            MaxAttempts = retry.MaxAttempts == 0 ? Defaults.MaxAttempts : retry.MaxAttempts,
            InitialBackoff = initial is { } i && i != TimeSpan.Zero ? i : Defaults.InitialBackoff,
            MaxBackoff = max is { } m && m != TimeSpan.Zero ? m : Defaults.MaxBackoff,
            Timeout = timeout is { } t && t != TimeSpan.Zero ? t : Defaults.Timeout,
        };
    }
}
