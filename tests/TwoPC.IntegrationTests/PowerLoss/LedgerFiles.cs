using System.Globalization;
using System.Text;
using LiteDB;

namespace TwoPC.IntegrationTests.PowerLoss;

/// <summary>A participant's branch record as its file holds it.</summary>
internal sealed record BranchFileRecord(string TransactionId, int Status, string Account, long Delta);

/// <summary>A saga barrier row: operation "action" (result 1 = succeeded) or "compensate" (1 = compensated, 2 = nothing to undo).</summary>
internal sealed record BarrierFileRow(string TransactionId, string Step, string Operation, int Result)
{
    public bool Acted => Operation == "action" && Result == 1;

    public bool Undid => Operation == "compensate" && Result == 1;
}

/// <summary>What one participant's LiteDB file holds: branch records, the prepared set, saga barrier rows and balances.</summary>
internal sealed record ParticipantFile(IReadOnlyDictionary<string, BranchFileRecord> Branches, int PreparedCount, IReadOnlyList<BarrierFileRow> Barrier,
    IReadOnlyDictionary<string, long> Balances)
{
    // twopc_branches.status values (TwoPC.Participant.Storage.BranchStatus).
    public const int Prepared = 1;
    public const int Committed = 4;
    public const int Aborted = 5;

    public long Balance(string account) => Balances.GetValueOrDefault(account, LedgerLoad.InitialBalance);

    /// <summary>Reads the file read-only (the process must be stopped); a missing file reads as empty.</summary>
    public static ParticipantFile Read(string path)
    {
        if (!File.Exists(path)) return new ParticipantFile(new Dictionary<string, BranchFileRecord>(), 0, [], new Dictionary<string, long>());
        using var db = new LiteDatabase(new ConnectionString { Filename = path, ReadOnly = true });
        var branches = new Dictionary<string, BranchFileRecord>(StringComparer.Ordinal);
        foreach (var d in db.GetCollection("twopc_branches").FindAll())
        {
            // The ledger payload "account:delta" (TwoPC.TestParticipant.Ledger); a tombstone (an Abort that came before
            // Prepare) has none.
            var parts = Encoding.UTF8.GetString(d["payload"].AsBinary).Split(':');
            var (account, delta) = parts.Length >= 2 ? (parts[0], long.Parse(parts[1], CultureInfo.InvariantCulture)) : ("", 0L);
            branches[d["tx"].AsString] = new BranchFileRecord(d["tx"].AsString, d["status"].AsInt32, account, delta);
        }

        var prepared = db.GetCollection("twopc_prepared").Count();
        var barrier = db.GetCollection("twopc_barrier").FindAll()
            .Select(d => new BarrierFileRow(d["tx"].AsString, d["step"].AsString, d["op"].AsString, d["result"].AsInt32)).ToList();
        var balances = db.GetCollection("accounts").FindAll().ToDictionary(d => d["_id"].AsString, d => d["balance"].AsInt64, StringComparer.Ordinal);
        return new ParticipantFile(branches, prepared, barrier, balances);
    }
}

/// <summary>What the coordinator's decision log holds: the state of every transaction, and the unfinished ones.</summary>
internal sealed record CoordinatorFile(IReadOnlyDictionary<string, int> States, IReadOnlyList<string> Open)
{
    // transactions.state values (twopc.v1.TransactionState).
    public const int Committed = 5;
    public const int Aborted = 6;
    public const int SagaCompleted = 12;
    public const int SagaCompensated = 13;

    public static CoordinatorFile Read(string path)
    {
        if (!File.Exists(path)) return new CoordinatorFile(new Dictionary<string, int>(), []);
        using var db = new LiteDatabase(new ConnectionString { Filename = path, ReadOnly = true });
        var states = db.GetCollection("transactions").FindAll().ToDictionary(d => d["_id"].AsString, d => d["state"].AsInt32, StringComparer.Ordinal);
        var open = db.GetCollection("open_transactions").FindAll().Select(d => d["_id"].AsString).ToList();
        return new CoordinatorFile(states, open);
    }
}
