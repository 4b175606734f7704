using Google.Protobuf;
using Grpc.Core;
using TwoPC.Participant.Barrier;
using TwoPC.Participant.Hosting;
using TwoPC.Participant.TwoPhase;
using TwoPC.Protocol.V1;
using ProtoBranchState = TwoPC.Protocol.V1.BranchState;
using ProtoVote = TwoPC.Protocol.V1.Vote;
using ProtoStepResult = TwoPC.Protocol.V1.StepResult;

namespace TwoPC.Participant.Grpc;

/// <summary>The Participant gRPC service: translates messages to engine commands and back, nothing else.</summary>
internal sealed class ParticipantGrpcService : TwoPC.Protocol.V1.Participant.ParticipantBase
{
    private readonly BranchEngine _branches;
    private readonly SagaBarrier _barrier;
    private readonly ResourceRegistry _registry;

    public ParticipantGrpcService(BranchEngine branches, SagaBarrier barrier, ResourceRegistry registry)
    {
        _branches = branches;
        _barrier = barrier;
        _registry = registry;
    }

    public override Task<PrepareResponse> Prepare(PrepareRequest request, ServerCallContext context) => GrpcErrors.RunAsync(async () =>
    {
        var answer = await _branches.PrepareAsync(new PrepareCommand(request.TransactionId, request.BranchId, request.Resource,
            request.Payload.ToByteArray(), request.CoordinatorAddress, request.OnePhase, request.LogId), context.CancellationToken).ConfigureAwait(false);
        return new PrepareResponse
        {
            Vote = answer.Vote switch { TwoPC.Client.Vote.Prepared => ProtoVote.Prepared, TwoPC.Client.Vote.ReadOnly => ProtoVote.ReadOnly, _ => ProtoVote.Abort },
            Reason = answer.Reason,
            Outcome = ToProto(answer.Outcome),
        };
    });

    public override Task<BranchAck> Commit(BranchRequest request, ServerCallContext context) => GrpcErrors.RunAsync(async () =>
        Ack(await _branches.CommitAsync(ToCommand(request), context.CancellationToken).ConfigureAwait(false)));

    public override Task<BranchAck> Abort(BranchRequest request, ServerCallContext context) => GrpcErrors.RunAsync(async () =>
        Ack(await _branches.AbortAsync(ToCommand(request), context.CancellationToken).ConfigureAwait(false)));

    public override Task<ExecuteResponse> Execute(ExecuteRequest request, ServerCallContext context) => GrpcErrors.RunAsync(async () =>
    {
        var answer = await _barrier.ExecuteAsync(new StepCommand(request.TransactionId, request.StepName, request.Resource,
            request.Payload.ToByteArray(), request.Attempt), context.CancellationToken).ConfigureAwait(false);
        return new ExecuteResponse
        {
            Result = answer.Outcome switch
            {
                ExecuteOutcome.Succeeded => ProtoStepResult.Succeeded,
                ExecuteOutcome.Failed => ProtoStepResult.Failed,
                _ => ProtoStepResult.RejectedAfterCompensation,
            },
            Output = ByteString.CopyFrom(answer.Output),
            Reason = answer.Reason,
        };
    });

    public override Task<CompensateResponse> Compensate(CompensateRequest request, ServerCallContext context) => GrpcErrors.RunAsync(async () =>
    {
        var outcome = await _barrier.CompensateAsync(new StepCommand(request.TransactionId, request.StepName, request.Resource,
            request.Payload.ToByteArray(), request.Attempt), context.CancellationToken).ConfigureAwait(false);
        return new CompensateResponse
        {
            Result = outcome == CompensateOutcome.Compensated ? CompensationResult.Compensated : CompensationResult.NullCompensation,
        };
    });

    public override Task<DescribeResponse> Describe(DescribeRequest request, ServerCallContext context)
    {
        var response = new DescribeResponse();
        response.Resources.AddRange(_registry.ResourceNames.Order(StringComparer.Ordinal));
        response.SagaSteps.AddRange(_registry.SagaStepNames.Order(StringComparer.Ordinal));
        return Task.FromResult(response);
    }

    private static BranchCommand ToCommand(BranchRequest request) => new(request.TransactionId, request.BranchId, request.Resource);

    private static BranchAck Ack(BranchOutcome outcome) =>
        new() { State = outcome == BranchOutcome.Committed ? ProtoBranchState.Committed : ProtoBranchState.Aborted };

    private static Outcome ToProto(BranchOutcome outcome) => outcome switch
    {
        BranchOutcome.Committed => Outcome.Committed,
        BranchOutcome.Aborted => Outcome.Aborted,
        _ => Outcome.Unspecified,
    };
}
