using System.Buffers.Binary;
using System.Collections.Concurrent;
using TwoPC.Participant.Resources;

namespace TwoPC.Demo.Bank.Accounts;

/// <summary>
/// 2PC resource <c>audit</c> (empty payload). Prepare takes a shared lock on every account, reads the total of the
/// committed balances under it, remembers it for <see cref="TryTakeSum"/> and votes PREPARED, so the locks stay
/// held until the audit transaction's Commit/Abort. (A READ_ONLY vote would release them at once: the two banks
/// would then be read at different instants and a transfer committing in between would be seen half done.)
/// </summary>
public sealed class AuditResource(AccountBook book) : ITransactionalResource
{
    private const int MaxRemembered = 10_000;
    private readonly ConcurrentDictionary<string, long> _sums = new(StringComparer.Ordinal);

    /// <summary>The total read by the audit branch of <paramref name="transactionId"/>; forgotten once taken.</summary>
    public bool TryTakeSum(string transactionId, out long total) => _sums.TryRemove(transactionId, out total);

    public async ValueTask<PrepareResult> PrepareAsync(PrepareContext context, CancellationToken cancellationToken)
    {
        if (await book.LockSharedAndSumAsync(context.TransactionId, cancellationToken).ConfigureAwait(false) is not { } total)
            return PrepareResult.Abort("accounts are locked by transfers");
        if (_sums.Count >= MaxRemembered) _sums.Clear();
        _sums[context.TransactionId] = total;
        if (!context.OnePhase) return PrepareResult.Prepared(Encode(total));
        book.UnlockShared(context.TransactionId);
        return PrepareResult.ReadOnly();
    }

    public ValueTask CommitAsync(BranchContext context, CancellationToken cancellationToken)
    {
        book.UnlockShared(context.TransactionId);
        return ValueTask.CompletedTask;
    }

    public ValueTask AbortAsync(BranchContext context, CancellationToken cancellationToken)
    {
        book.UnlockShared(context.TransactionId);
        _sums.TryRemove(context.TransactionId, out _);
        return ValueTask.CompletedTask;
    }

    public ValueTask RecoverAsync(BranchContext context, CancellationToken cancellationToken)
    {
        book.RelockShared(context.TransactionId);
        if (context.State is { Length: 8 } state) _sums[context.TransactionId] = BinaryPrimitives.ReadInt64LittleEndian(state);
        return ValueTask.CompletedTask;
    }

    private static byte[] Encode(long total)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, total);
        return bytes;
    }
}
