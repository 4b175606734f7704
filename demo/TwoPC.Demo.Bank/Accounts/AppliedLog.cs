using LiteDB;

namespace TwoPC.Demo.Bank.Accounts;

/// <summary>
/// Which transactions changed which account, written in the same local LiteDB transaction as the balance (through
/// <c>ctx.Write</c>), so a change and its record are durable together. A change applied twice shows as
/// <c>times = 2</c>: this is what lets the soak check "applied exactly once" from outside.
/// </summary>
public static class AppliedLog
{
    public const string Collection = "applied";

    // The SDK's branch log (collection and status value of a prepared branch), read-only, for the Ledger RPC.
    private const string BranchCollection = "twopc_branches";
    private const int PreparedStatus = 1;

    /// <summary>Records that <paramref name="transactionId"/> added <paramref name="delta"/> to <paramref name="account"/>; call inside a local write.</summary>
    public static void Record(LiteDatabase db, string transactionId, int account, long delta)
    {
        var applied = db.GetCollection(Collection);
        var key = transactionId + "/" + account.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var times = applied.FindById(key)?["times"].AsInt32 ?? 0;
        applied.Upsert(new BsonDocument { ["_id"] = key, ["tx"] = transactionId, ["account"] = account, ["delta"] = delta, ["times"] = times + 1 });
    }

    public static IEnumerable<(string TransactionId, int Account, long Delta, int Times)> ReadAll(LiteDatabase db) =>
        db.GetCollection(Collection).FindAll().Select(d => (d["tx"].AsString, d["account"].AsInt32, d["delta"].AsInt64, d["times"].AsInt32));

    public static int CountPreparedBranches(LiteDatabase db) =>
        db.GetCollection(BranchCollection).Count(Query.EQ("status", PreparedStatus));
}
