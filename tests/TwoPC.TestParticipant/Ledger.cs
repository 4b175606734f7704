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

    public Ledger(IParticipantStore store, IConfiguration configuration)
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

    /// <summary>Applies a delta in memory if the result stays non-negative; returns the persisted document.</summary>
    public BsonDocument? TryApply(string account, long delta)
    {
        lock (_gate)
        {
            var next = Balance(account) + delta;
            if (next < 0) return null;
            _balances[account] = next;
            return new BsonDocument { ["_id"] = account, ["balance"] = next };
        }
    }
}
