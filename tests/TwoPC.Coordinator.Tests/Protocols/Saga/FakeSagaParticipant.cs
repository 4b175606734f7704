using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using TwoPC.Protocol.V1;

namespace TwoPC.Coordinator.Tests.Protocols.Saga;

/// <summary>
/// A participant hosting the saga step handlers <see cref="Handlers"/>, with a minimal in-memory barrier: a
/// duplicate Execute answers the first result, a compensation without an action is a null compensation, and an
/// action after its compensation is rejected. An action whose payload is "fail" fails as a business error; one whose
/// payload is "hang" never answers (until the coordinator gives up on the call). While <see cref="RefundsDown"/> is
/// set, compensations of the "refund" handler fail with Unavailable.
/// </summary>
internal sealed class FakeSagaParticipant : Participant.ParticipantBase
{
    public static readonly string[] Handlers = ["leave", "flight", "hotel", "car", "order", "payment", "shipping", "refund"];

    private readonly ConcurrentDictionary<(string Tx, string Step), ExecuteResponse> _actions = new();
    private readonly ConcurrentDictionary<(string Tx, string Step), CompensationResult> _compensations = new();

    /// <summary>While true, the "refund" handler's compensations fail (the refund service is down).</summary>
    public volatile bool RefundsDown;

    /// <summary>Every call: (kind, transaction, step).</summary>
    public ConcurrentQueue<(string Kind, string Tx, string Step)> Calls { get; } = new();

    public override Task<DescribeResponse> Describe(DescribeRequest request, ServerCallContext context)
    {
        var response = new DescribeResponse();
        response.SagaSteps.AddRange(Handlers);
        return Task.FromResult(response);
    }

    public override async Task<ExecuteResponse> Execute(ExecuteRequest request, ServerCallContext context)
    {
        Calls.Enqueue(("execute", request.TransactionId, request.StepName));
        var key = (request.TransactionId, request.StepName);
        if (_compensations.ContainsKey(key)) return new ExecuteResponse { Result = StepResult.RejectedAfterCompensation };
        if (request.Payload.ToStringUtf8() == "hang") await Task.Delay(Timeout.Infinite, context.CancellationToken);
        return _actions.GetOrAdd(key, _ => request.Payload.ToStringUtf8() == "fail"
            ? new ExecuteResponse { Result = StepResult.Failed, Reason = $"{request.Resource} said no" }
            : new ExecuteResponse { Result = StepResult.Succeeded, Output = ByteString.CopyFromUtf8("booked " + request.StepName) });
    }

    public override Task<CompensateResponse> Compensate(CompensateRequest request, ServerCallContext context)
    {
        Calls.Enqueue(("compensate", request.TransactionId, request.StepName));
        if (RefundsDown && request.Resource == "refund") throw new RpcException(new Status(StatusCode.Unavailable, "refund service down"));
        var key = (request.TransactionId, request.StepName);
        var result = _compensations.GetOrAdd(key, k => _actions.TryGetValue(k, out var a) && a.Result == StepResult.Succeeded
            ? CompensationResult.Compensated
            : CompensationResult.NullCompensation);
        return Task.FromResult(new CompensateResponse { Result = result });
    }

    public List<string> Steps(string kind, string tx) => Calls.Where(c => c.Kind == kind && c.Tx == tx).Select(c => c.Step).ToList();
}
