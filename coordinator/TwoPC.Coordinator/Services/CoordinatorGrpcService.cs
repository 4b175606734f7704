using Grpc.Core;
using TwoPC.Coordinator.Transactions;
using Proto = TwoPC.Protocol.V1;

namespace TwoPC.Coordinator.Services;

/// <summary>The Coordinator gRPC service: maps proto ↔ domain and calls the engine. Errors are mapped by <see cref="ErrorMappingInterceptor"/>.</summary>
internal sealed partial class CoordinatorGrpcService(TransactionManager manager) : Proto.Coordinator.CoordinatorBase
{
    public override async Task<Proto.BeginResponse> Begin(Proto.BeginRequest request, ServerCallContext context)
    {
        if (request.Mode == Proto.TransactionMode.Unspecified) throw new InvalidRequestException("mode", "is required and must be TRANSACTION_MODE_TWO_PHASE (sagas start with RunSaga)");
        BranchSpec[]? branches = null;
        if (request.Branches.Count > 0)
        {
            branches = new BranchSpec[request.Branches.Count];
            for (var i = 0; i < branches.Length; i++)
            {
                var b = request.Branches[i];
                if (b.TransactionId.Length > 0) throw new InvalidRequestException($"branches[{i}].transaction_id", "must be empty: the Begin creates the transaction");
                branches[i] = new BranchSpec(b.ParticipantAddress, b.Resource, b.Payload.ToByteArray(), b.BranchKey);
            }
        }

        var record = await manager.BeginAsync((TransactionMode)(int)request.Mode, ProtoMapper.ToTimeSpan(request.Timeout, "timeout"), request.IdempotencyKey, branches,
            context.CancellationToken).ConfigureAwait(false);
        var response = new Proto.BeginResponse { TransactionId = record.Id };
        if (record.Deadline != default) response.Deadline = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(record.Deadline);
        foreach (var b in record.Branches) response.BranchIds.Add(b.BranchId);
        return response;
    }

    public override async Task<Proto.EnlistResponse> Enlist(Proto.EnlistRequest request, ServerCallContext context)
    {
        var id = await manager.EnlistAsync(request.TransactionId, request.ParticipantAddress, request.Resource,
            request.Payload.ToByteArray(), request.BranchKey, context.CancellationToken).ConfigureAwait(false);
        return new Proto.EnlistResponse { BranchId = id };
    }

    public override async Task<Proto.CommitResponse> Commit(Proto.CommitRequest request, ServerCallContext context)
    {
        var result = await manager.CommitAsync(request.TransactionId, request.WaitForCompletion, context.CancellationToken).ConfigureAwait(false);
        return new Proto.CommitResponse { Outcome = ProtoMapper.Outcome(result.Committed), Reason = result.Reason ?? "", State = (Proto.TransactionState)(int)result.State };
    }

    public override async Task<Proto.AbortResponse> Abort(Proto.AbortRequest request, ServerCallContext context)
    {
        var result = await manager.AbortAsync(request.TransactionId, request.Reason, context.CancellationToken).ConfigureAwait(false);
        return new Proto.AbortResponse { Outcome = ProtoMapper.Outcome(result.Committed), State = (Proto.TransactionState)(int)result.State };
    }

    public override async Task<Proto.TransactionInfo> GetTransaction(Proto.GetTransactionRequest request, ServerCallContext context)
    {
        if (!request.ResolveInDoubt) return ProtoMapper.ToProto(await manager.GetAsync(request.TransactionId, context.CancellationToken).ConfigureAwait(false));
        var (record, presumed, pending) = await manager.ResolveInDoubtAsync(request.TransactionId, request.LogId, context.CancellationToken).ConfigureAwait(false);
        var info = ProtoMapper.ToProto(record, presumed);
        if (pending) info.Outcome = Proto.Outcome.Pending;
        return info;
    }

    public override async Task<Proto.ListTransactionsResponse> ListTransactions(Proto.ListTransactionsRequest request, ServerCallContext context)
    {
        var states = request.States.Select(s => (TransactionState)(int)s).ToList();
        var (page, next) = await manager.ListAsync(states, request.PageSize, request.PageToken, context.CancellationToken).ConfigureAwait(false);
        var response = new Proto.ListTransactionsResponse { NextPageToken = next ?? "" };
        response.Transactions.AddRange(page.Select(r => ProtoMapper.ToProto(r)));
        return response;
    }
}
