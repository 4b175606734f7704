using TwoPC.Participant.LiteDb;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using LiteDB;
using TwoPC.Participant.Storage;

namespace TwoPC.TestParticipant;

/// <summary>
/// Account balances: kept in memory (the authority for Prepare's checks, loaded from the store at start) and
/// persisted to the participant's LiteDB file with the SDK's record writes. An account is locked from Prepare
/// until Commit/Abort.
/// </summary>
public sealed class Ledger
{
    public const string Collection = "accounts";
    private readonly ConcurrentDictionary<string, long> _balances = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _locks = new(StringComparer.Ordinal);
    private readonly long _initialBalance;
    private readonly object _gate = new();

    public Ledger(LiteDbParticipantStore store, IConfiguration configuration)
    {
        _initialBalance = configuration.GetValue("Ledger:InitialBalance", 1_000_000L);
        foreach (var doc in store.Database.GetCollection(Collection).FindAll()) _balances[doc["_id"].AsString] = doc["balance"].AsInt64;
    }

    public long Balance(string account) => _balances.GetOrAdd(account, _initialBalance);

    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(_balances);

    /// <summary>Parses "account:delta[:flags]".</summary>
    public static (string Account, long Delta, string Flags) Parse(ReadOnlyMemory<byte> payload)
    {
        var parts = Encoding.UTF8.GetString(payload.Span).Split(':');
        if (parts.Length < 2 || parts[0].Length == 0 || !long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var delta))
            throw new FormatException("payload must be 'account:delta[:flags]'");
        return (parts[0], delta, parts.Length > 2 ? parts[2] : "");
    }

    public static byte[] Payload(string account, long delta, string flags = "") =>
        Encoding.UTF8.GetBytes(flags.Length == 0 ? $"{account}:{delta}" : $"{account}:{delta}:{flags}");

    public bool TryLock(string account, string owner) => _locks.TryAdd(account, owner) || _locks.TryGetValue(account, out var o) && o == owner;

    public void Unlock(string account, string owner) => _locks.TryRemove(new KeyValuePair<string, string>(account, owner));

    /// <summary>
    /// Applies a delta in memory if the result stays non-negative; returns the store write that persists it, or null.
    /// The write adds the delta to the stored balance (read-modify-write inside the SDK's local transaction) instead of
    /// storing the in-memory result: concurrent branches' writes may reach the store in another order than their
    /// in-memory applies, and the stored balance must equal the sum of exactly the deltas stored with it.
    /// </summary>
    public Action<LiteDatabase>? TryApply(string account, long delta)
    {
        lock (_gate)
        {
            var next = Balance(account) + delta;
            if (next < 0) return null;
            _balances[account] = next;
        }

        return db => AddStored(db, account, delta);
    }

    private void AddStored(LiteDatabase db, string account, long delta)
    {
        var accounts = db.GetCollection(Collection);
        var stored = accounts.FindById(account) is { } doc ? doc["balance"].AsInt64 : _initialBalance;
        accounts.Upsert(new BsonDocument { ["_id"] = account, ["balance"] = stored + delta });
    }
}
