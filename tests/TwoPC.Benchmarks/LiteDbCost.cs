using System.Diagnostics;
using LiteDB;

namespace TwoPC.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/TwoPC.Benchmarks -- litedb-cost</c>: what one coordinator transaction costs
/// LiteDB alone — a decision insert and a final update per transaction, 16 transactions per LiteDB transaction — with
/// and without a secondary index on a low-cardinality field (what the decision log used to have). No fsync: CPU only.
/// </summary>
internal static class LiteDbCost
{
    public static int Run()
    {
        foreach (var indexed in new[] { true, false })
        {
            var dir = Path.Combine(Path.GetTempPath(), "twopc-litedb-cost", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            using (var db = new LiteDatabase(new ConnectionString { Filename = Path.Combine(dir, "x.db"), Connection = ConnectionType.Direct }))
            {
                db.CheckpointSize = 0;
                var col = db.GetCollection("transactions");
                if (indexed) col.EnsureIndex("finished");
                Loop(db, col, 0, 2_000);
                var allocated = GC.GetTotalAllocatedBytes(true);
                var clock = Stopwatch.StartNew();
                Loop(db, col, 100_000, 20_000);
                Console.WriteLine($"RESULT litedb index_on_finished={indexed.ToString().ToLowerInvariant()} us_per_tx={clock.Elapsed.TotalMicroseconds / 20_000:F1} kb_allocated_per_tx={(GC.GetTotalAllocatedBytes(true) - allocated) / 20_000.0 / 1024:F1}");
            }

            Directory.Delete(dir, recursive: true);
        }

        return 0;
    }

    private static void Loop(LiteDatabase db, ILiteCollection<BsonDocument> col, int start, int count)
    {
        for (var i = start; i < start + count; i += 16)
        {
            db.BeginTrans();
            for (var j = i; j < i + 16; j++) col.Upsert(Doc(j, finished: false));
            db.Commit();
            db.BeginTrans();
            for (var j = i; j < i + 16; j++) col.Upsert(Doc(j, finished: true));
            db.Commit();
        }
    }

    private static BsonDocument Doc(int i, bool finished) => new()
    {
        ["_id"] = "01a2b3c4d5e6f7a8" + i.ToString("x16"),
        ["state"] = finished ? 5 : 3,
        ["finished"] = finished,
        ["created"] = 1L,
        ["branches"] = new BsonArray
        {
            new BsonDocument { ["id"] = 1, ["addr"] = "http://127.0.0.1:5001", ["res"] = "ledger", ["st"] = 2, ["vote"] = 1 },
            new BsonDocument { ["id"] = 2, ["addr"] = "http://127.0.0.1:5002", ["res"] = "ledger", ["st"] = 2, ["vote"] = 1 },
        },
    };
}
