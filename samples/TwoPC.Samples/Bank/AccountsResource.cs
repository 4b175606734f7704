using LiteDB;
using TwoPC.Participant.LiteDb;
using TwoPC.Participant.Resources;

namespace TwoPC.Samples.Bank;

// begin-snippet: resource
/// <summary>Balances in the participant's LiteDB file; a prepared debit holds the money until the decision.</summary>
public sealed class AccountsResource(LiteDbParticipantStore store) : ITransactionalResource<Transfer>
{
    private readonly Dictionary<string, long> _held = new();

    public ValueTask<PrepareResult> PrepareAsync(Transfer t, PrepareContext context, CancellationToken cancellationToken)
    {
        lock (_held)
        {
            if (t.Amount < 0 && Balance(t.Account) - _held.GetValueOrDefault(t.Account) + t.Amount < 0)
                return ValueTask.FromResult(PrepareResult.Abort($"insufficient funds in {t.Account}"));
            Hold(t);
        }

        return ValueTask.FromResult(PrepareResult.Prepared());
    }

    public ValueTask CommitAsync(Transfer t, BranchContext context, CancellationToken cancellationToken)
    {
        // Runs in the same local transaction as the SDK's commit record: both reach the disk, or neither.
        context.Write(db => Accounts(db).Upsert(new BsonDocument { ["_id"] = t.Account, ["balance"] = Balance(db, t.Account) + t.Amount }));
        lock (_held) Release(t);
        return ValueTask.CompletedTask;
    }

    public ValueTask AbortAsync(Transfer t, BranchContext context, CancellationToken cancellationToken)
    {
        lock (_held) Release(t);
        return ValueTask.CompletedTask;
    }

    // At start, for a branch still prepared (in doubt): hold its money again until the decision arrives.
    public ValueTask RecoverAsync(Transfer t, BranchContext context, CancellationToken cancellationToken)
    {
        lock (_held) Hold(t);
        return ValueTask.CompletedTask;
    }

    public long Balance(string account) => Balance(store.Database, account);

    private void Hold(Transfer t)
    {
        if (t.Amount < 0) _held[t.Account] = _held.GetValueOrDefault(t.Account) - t.Amount;
    }

    private void Release(Transfer t)
    {
        if (t.Amount < 0) _held[t.Account] = _held.GetValueOrDefault(t.Account) + t.Amount;
    }

    private static ILiteCollection<BsonDocument> Accounts(LiteDatabase db) => db.GetCollection("accounts");

    private static long Balance(LiteDatabase db, string account) => Accounts(db).FindById(account)?["balance"].AsInt64 ?? 0;
}
// end-snippet
