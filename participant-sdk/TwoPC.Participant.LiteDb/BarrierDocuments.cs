using LiteDB;
using TwoPC.Participant.Storage;

namespace TwoPC.Participant.LiteDb;

/// <summary>Reads and writes <see cref="BarrierRow"/> documents in the <c>twopc_barrier</c> collection.</summary>
internal static class BarrierDocuments
{
    public const string Collection = "twopc_barrier";

    public static BarrierRow? Find(LiteDatabase database, string transactionId, string stepName, string operation)
    {
        var d = database.GetCollection(Collection).FindById(BarrierRow.KeyOf(transactionId, stepName, operation));
        return d is null
            ? null
            : new BarrierRow(d["tx"].AsString, d["step"].AsString, d["op"].AsString, d["result"].AsInt32, d["output"].AsBinary, d["reason"].AsString,
                new DateTimeOffset(DateTime.SpecifyKind(d["at"].AsDateTime.ToUniversalTime(), DateTimeKind.Utc)));
    }

    /// <summary>Inserts the row; throws if it exists (the unique key is the barrier). Call only inside a committer write.</summary>
    public static void Insert(LiteDatabase database, BarrierRow row) => database.GetCollection(Collection).Insert(ToDocument(row));

    /// <summary>Writes an existing row again, unchanged (to force it before a duplicate is answered from it).</summary>
    public static void Rewrite(LiteDatabase database, BarrierRow row) => database.GetCollection(Collection).Upsert(ToDocument(row));

    private static BsonDocument ToDocument(BarrierRow row) => new()
    {
        ["_id"] = row.Key,
        ["tx"] = row.TransactionId,
        ["step"] = row.StepName,
        ["op"] = row.Operation,
        ["result"] = row.Result,
        ["output"] = row.Output,
        ["reason"] = row.Reason,
        ["at"] = row.At.UtcDateTime,
    };
}
