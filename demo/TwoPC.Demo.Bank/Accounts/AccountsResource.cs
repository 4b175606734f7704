using TwoPC.Participant.LiteDb;
using TwoPC.Participant.Resources;

namespace TwoPC.Demo.Bank.Accounts;

/// <summary>
/// 2PC resource <c>accounts</c>, payload "account:delta". Prepare takes the account's exclusive lock (waiting up to
/// LockWait) and votes ABORT if the account is unknown, the delta is zero, would
/// overflow or overdraw, or the account is already in the same transaction (same-account transfer); Commit applies the delta in memory, queues its write (the
/// balance and an <see cref="AppliedLog"/> row), then releases the lock; Abort releases it.
/// </summary>
public sealed class AccountsResource(AccountBook book) : ITransactionalResource
{
    public async ValueTask<PrepareResult> PrepareAsync(PrepareContext context, CancellationToken cancellationToken)
    {
        var (account, delta) = Payload.Parse(context.Payload);
        if (!book.Exists(account) || delta == 0) return PrepareResult.Abort(book.Refusal(account, delta)!);
        if (!await book.LockExclusiveAsync(account, context.TransactionId, cancellationToken, allowReentry: false).ConfigureAwait(false))
        {
            return PrepareResult.Abort(book.IsLockedBy(account, context.TransactionId)
                ? $"account {account} is already in this transaction (same-account transfer)"
                : $"account {account} is locked");
        }

        if (book.Refusal(account, delta) is { } refused)
        {
            book.UnlockExclusive(account, context.TransactionId);
            return PrepareResult.Abort(refused);
        }

        // One-phase: the SDK calls CommitAsync right after this vote, which applies the change (not here).
        return PrepareResult.Prepared();
    }

    public ValueTask CommitAsync(BranchContext context, CancellationToken cancellationToken)
    {
        var (account, delta) = Payload.Parse(context.Payload);
        Apply(context, account, delta);
        return ValueTask.CompletedTask;
    }

    public ValueTask AbortAsync(BranchContext context, CancellationToken cancellationToken)
    {
        var (account, _) = Payload.Parse(context.Payload);
        book.UnlockExclusive(account, context.TransactionId);
        return ValueTask.CompletedTask;
    }

    public ValueTask RecoverAsync(BranchContext context, CancellationToken cancellationToken)
    {
        var (account, _) = Payload.Parse(context.Payload);
        book.RelockExclusive(account, context.TransactionId);
        return ValueTask.CompletedTask;
    }

    // The in-memory balance changes before the lock is released (the write lands after CommitAsync returns).
    private void Apply(BranchContext context, int account, long delta)
    {
        var persist = book.TryApply(account, delta) ?? throw new InvalidOperationException($"prepared change would overdraw account {account}");
        context.Write(db =>
        {
            persist(db);
            AppliedLog.Record(db, context.TransactionId, account, delta);
        });
        book.UnlockExclusive(account, context.TransactionId);
    }
}
