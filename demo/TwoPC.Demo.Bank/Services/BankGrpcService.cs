using Grpc.Core;
using TwoPC.Demo.Bank.Accounts;
using TwoPC.Demo.Protocol.V1;

namespace TwoPC.Demo.Bank.Services;

/// <summary>The demo's own read API (proto/demo/v1/bank.proto).</summary>
public sealed class BankGrpcService(AccountBook book, AuditResource audit) : TwoPC.Demo.Protocol.V1.Bank.BankBase
{
    public override Task<SumResponse> Sum(SumRequest request, ServerCallContext context) =>
        Task.FromResult(audit.TryTakeSum(request.AuditTransactionId, out var total)
            ? new SumResponse { Found = true, Total = total }
            : new SumResponse { Found = false });

    public override Task<BalancesResponse> Balances(BalancesRequest request, ServerCallContext context)
    {
        var (total, locks) = book.Snapshot();
        return Task.FromResult(new BalancesResponse { Total = total, Accounts = book.Count, LocksHeld = locks });
    }
}
