using TwoPC.Participant.LiteDb;
using Grpc.Core;
using TwoPC.Demo.Bank.Accounts;
using TwoPC.Demo.Protocol.V1;
using TwoPC.Participant.Storage;

namespace TwoPC.Demo.Bank.Services;

/// <summary>The demo's own read API (proto/demo/v1/bank.proto).</summary>
public sealed class BankGrpcService(AccountBook book, AuditResource audit, LiteDbParticipantStore store) : TwoPC.Demo.Protocol.V1.Bank.BankBase
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

    public override Task<LedgerResponse> Ledger(LedgerRequest request, ServerCallContext context)
    {
        var prepared = AppliedLog.CountPreparedBranches(store.Database);
        var (balances, locks) = book.Balances();
        var response = new LedgerResponse { PreparedBranches = prepared, LocksHeld = locks };
        response.Balances.AddRange(balances);
        foreach (var (tx, account, delta, times) in AppliedLog.ReadAll(store.Database))
            response.Applied.Add(new AppliedBranch { TransactionId = tx, Account = account, Delta = delta, Times = times });
        return Task.FromResult(response);
    }
}
