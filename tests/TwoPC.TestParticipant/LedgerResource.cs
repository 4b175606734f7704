using TwoPC.Participant.LiteDb;
using TwoPC.Participant.Resources;

namespace TwoPC.TestParticipant;

/// <summary>
/// 2PC resource "ledger": payload "account:delta". Prepare locks the account and checks the balance; Commit
/// applies the delta. With configuration <c>Ledger:HangCommit=true</c>, Commit blocks forever, so a test can kill
/// the process while its branch is durably prepared and the decision is known. With <c>Ledger:FailFlushAtCommit=true</c>,
/// the flush of the first committed record fails (<see cref="FlushFault"/>).
/// </summary>
public sealed class LedgerResource(Ledger ledger, IConfiguration configuration, FlushFault flushFault) : ITransactionalResource
{
    private readonly bool _hangCommit = configuration.GetValue("Ledger:HangCommit", false);
    private readonly bool _failFlushAtCommit = configuration.GetValue("Ledger:FailFlushAtCommit", false);

    public ValueTask<PrepareResult> PrepareAsync(PrepareContext context, CancellationToken cancellationToken)
    {
        var (account, delta, _) = Ledger.Parse(context.Payload);
        if (!ledger.TryLock(account, context.TransactionId)) return ValueTask.FromResult(PrepareResult.Abort($"account {account} is locked by another transaction"));
        if (ledger.Balance(account) + delta < 0)
        {
            ledger.Unlock(account, context.TransactionId);
            return ValueTask.FromResult(PrepareResult.Abort($"insufficient funds in {account}"));
        }

        return ValueTask.FromResult(PrepareResult.Prepared());
    }

    public async ValueTask CommitAsync(BranchContext context, CancellationToken cancellationToken)
    {
        var (account, delta, _) = Ledger.Parse(context.Payload);
        if (_hangCommit) await Task.Delay(Timeout.Infinite, cancellationToken);
        if (_failFlushAtCommit) flushFault.Arm();
        Apply(context, account, delta);
    }

    public ValueTask AbortAsync(BranchContext context, CancellationToken cancellationToken)
    {
        var (account, _, _) = Ledger.Parse(context.Payload);
        ledger.Unlock(account, context.TransactionId);
        return ValueTask.CompletedTask;
    }

    public ValueTask RecoverAsync(BranchContext context, CancellationToken cancellationToken)
    {
        var (account, _, _) = Ledger.Parse(context.Payload);
        ledger.TryLock(account, context.TransactionId);
        return ValueTask.CompletedTask;
    }

    private void Apply(LocalWriteContext context, string account, long delta)
    {
        var write = ledger.TryApply(account, delta) ?? throw new InvalidOperationException($"prepared change would overdraw {account}");
        context.Write(write);
        if (context is BranchContext branch) ledger.Unlock(account, branch.TransactionId);
    }
}
