using LiteDB;

namespace TwoPC.Participant.Storage;

/// <summary>Reads and writes <see cref="BranchRecord"/> documents in the <c>twopc_branches</c> collection.</summary>
internal static class BranchLog
{
    public const string Collection = "twopc_branches";

    public static string KeyOf(string transactionId, int branchId) => transactionId + "/" + branchId;

    public static void EnsureIndexes(LiteDatabase database) =>
        database.GetCollection(Collection).EnsureIndex("status");

    public static BranchRecord? Find(LiteDatabase database, string transactionId, int branchId)
    {
        var doc = database.GetCollection(Collection).FindById(KeyOf(transactionId, branchId));
        return doc is null ? null : FromDocument(doc);
    }

    public static IReadOnlyList<BranchRecord> FindPrepared(LiteDatabase database) =>
        database.GetCollection(Collection)
            .Find(Query.EQ("status", (int)BranchStatus.Prepared))
            .Select(FromDocument)
            .ToList();

    /// <summary>Inserts or replaces the record; call only inside a committer write.</summary>
    public static void Upsert(LiteDatabase database, BranchRecord record) =>
        database.GetCollection(Collection).Upsert(ToDocument(record));

    private static BsonDocument ToDocument(BranchRecord r) => new()
    {
        ["_id"] = r.Key,
        ["tx"] = r.TransactionId,
        ["branch"] = r.BranchId,
        ["resource"] = r.Resource,
        ["payload"] = r.Payload,
        ["state"] = r.State is null ? BsonValue.Null : new BsonValue(r.State),
        ["coordinator"] = r.CoordinatorAddress,
        ["status"] = (int)r.Status,
        ["reason"] = r.Reason,
        ["tombstone"] = r.Tombstone,
        ["preparedAt"] = r.PreparedAt.UtcDateTime,
        ["decidedAt"] = r.DecidedAt is { } d ? new BsonValue(d.UtcDateTime) : BsonValue.Null,
    };

    private static BranchRecord FromDocument(BsonDocument d) => new(
        d["tx"].AsString,
        d["branch"].AsInt32,
        d["resource"].AsString,
        d["payload"].AsBinary,
        d["state"].IsNull ? null : d["state"].AsBinary,
        d["coordinator"].AsString,
        (BranchStatus)d["status"].AsInt32,
        d["reason"].AsString,
        d["tombstone"].AsBoolean,
        new DateTimeOffset(DateTime.SpecifyKind(d["preparedAt"].AsDateTime.ToUniversalTime(), DateTimeKind.Utc)),
        d["decidedAt"].IsNull ? null : new DateTimeOffset(DateTime.SpecifyKind(d["decidedAt"].AsDateTime.ToUniversalTime(), DateTimeKind.Utc)));
}
