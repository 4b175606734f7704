using LiteDB;
using TwoPC.Participant.Storage;

namespace TwoPC.Participant.LiteDb;

/// <summary>Reads and writes <see cref="BranchRecord"/> documents in the <c>twopc_branches</c> collection.</summary>
internal static class BranchDocuments
{
    public const string Collection = "twopc_branches";

    /// <summary>Keys of the branches in PREPARED state (the in-doubt set), so recovery never scans the whole log.</summary>
    public const string PreparedCollection = "twopc_prepared";

    /// <summary>
    /// Nothing to create: a low-cardinality LiteDB index on "status" roughly doubled the CPU of every write, so
    /// the prepared set is kept in <see cref="PreparedCollection"/> instead (primary key only).
    /// </summary>
    public static void EnsureIndexes(LiteDatabase database) => database.GetCollection(PreparedCollection);

    public static BranchRecord? Find(LiteDatabase database, string transactionId, int branchId)
    {
        var doc = database.GetCollection(Collection).FindById(BranchRecord.KeyOf(transactionId, branchId));
        return doc is null ? null : FromDocument(doc);
    }

    /// <summary>
    /// The branches in PREPARED state. A record that cannot be read is passed to <paramref name="unreadable"/> (with
    /// its key) and skipped, so that one bad record does not hide the others; without it, the error is thrown.
    /// </summary>
    public static IReadOnlyList<BranchRecord> FindPrepared(LiteDatabase database, Action<string, Exception>? unreadable = null)
    {
        var branches = database.GetCollection(Collection);
        var found = new List<BranchRecord>();
        foreach (var key in database.GetCollection(PreparedCollection).FindAll().Select(p => p["_id"]))
        {
            try
            {
                var d = branches.FindById(key);
                if (d is not null && d["status"].AsInt32 == (int)BranchStatus.Prepared) found.Add(FromDocument(d));
            }
            catch (Exception ex) when (unreadable is not null)
            {
                unreadable(key.ToString(), ex);
            }
        }

        return found;
    }

    /// <summary>Inserts or replaces the record, and keeps the prepared set in step; call only inside a committer write.</summary>
    public static void Upsert(LiteDatabase database, BranchRecord record)
    {
        database.GetCollection(Collection).Upsert(ToDocument(record));
        var prepared = database.GetCollection(PreparedCollection);
        if (record.Status == BranchStatus.Prepared) prepared.Upsert(new BsonDocument { ["_id"] = record.Key });
        else prepared.Delete(record.Key);
    }

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
        ["logId"] = r.LogId,
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
        d["decidedAt"].IsNull ? null : new DateTimeOffset(DateTime.SpecifyKind(d["decidedAt"].AsDateTime.ToUniversalTime(), DateTimeKind.Utc)),
        // Absent in records written before the coordinator sent its log identity.
        d.TryGetValue("logId", out var logId) && logId.IsString ? logId.AsString : "");
}
