using Grpc.Core;
using TwoPC.Coordinator.Transactions;
using Proto = TwoPC.Protocol.V1;

namespace TwoPC.Coordinator.Services;

/// <summary>The Admin gRPC service: operator actions. Errors are mapped by <see cref="ErrorMappingInterceptor"/>.</summary>
internal sealed class AdminGrpcService(TransactionManager manager) : Proto.Admin.AdminBase
{
    public override async Task<Proto.ResumeSagaResponse> ResumeSaga(Proto.ResumeSagaRequest request, ServerCallContext context)
    {
        var record = await manager.ResumeSagaAsync(request.TransactionId, request.Reason, context.CancellationToken).ConfigureAwait(false);
        return new Proto.ResumeSagaResponse { Transaction = ProtoMapper.ToProto(record) };
    }
}
