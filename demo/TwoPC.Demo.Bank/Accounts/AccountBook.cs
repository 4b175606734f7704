using TwoPC.Participant.LiteDb;
using LiteDB;
using Microsoft.Extensions.Options;
using TwoPC.Participant.Storage;

namespace TwoPC.Demo.Bank.Accounts;

/// <summary>
/// The bank's accounts. Balances live in memory (the authority for Prepare's checks, loaded from the participant's
/// LiteDB file at start) and are persisted through the SDK's local writes. Locks:
/// <list type="bullet">
/// <item>exclusive, per account, held by a transfer branch from Prepare to Commit/Abort;</item>
/// <item>shared, on the whole bank, held by an audit branch from Prepare to Commit/Abort.</item>
/// </list>
/// Only one side ever waits for the other, so transfers and audits (which lock both banks at once) cannot deadlock:
/// an audit waits up to <see cref="BankOptions.AuditLockWait"/> for the exclusive locks to drain, and while it
/// waits or holds its shared lock, a transfer's exclusive request fails at once (its branch votes ABORT and the
/// client may retry). A transfer waits up to <see cref="BankOptions.LockWait"/> for another transfer's lock (two
/// transfers crossing each other in opposite directions time out there).
/// </summary>
public sealed class AccountBook
{
    public const string Collection = "accounts";
    private readonly long[] _balances;
    private readonly Dictionary<int, string> _exclusive = new();
    private readonly HashSet<string> _auditors = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private TaskCompletionSource _released = NewSignal();
    private int _auditsWaiting;

    public AccountBook(LiteDbParticipantStore store, IOptions<BankOptions> options, TimeProvider time)
    {
        Options = options.Value;
        _time = time;
        _balances = new long[Options.Accounts];
        Array.Fill(_balances, Options.InitialBalance);
        foreach (var doc in store.Database.GetCollection(Collection).FindAll())
        {
            var id = doc["_id"].AsInt32;
            if (id >= 0 && id < _balances.Length) _balances[id] = doc["balance"].AsInt64;
        }
    }

    public BankOptions Options { get; }

    public int Count => _balances.Length;

    public bool Exists(int account) => account >= 0 && account < _balances.Length;

    public long Balance(int account)
    {
        lock (_gate) return _balances[account];
    }

    /// <summary>Every balance at one instant, and how many locks are held.</summary>
    public (long[] Balances, int LocksHeld) Balances()
    {
        lock (_gate) return ((long[])_balances.Clone(), _exclusive.Count + _auditors.Count);
    }

    /// <summary>The total of all balances at one instant, and how many locks are held.</summary>
    public (long Total, int LocksHeld) Snapshot()
    {
        lock (_gate)
        {
            long total = 0;
            foreach (var b in _balances) total += b;
            return (total, _exclusive.Count + _auditors.Count);
        }
    }

    /// <summary>Why adding <paramref name="delta"/> to <paramref name="account"/> is refused now (unknown account, zero, overflow, overdraw), or null.</summary>
    public string? Refusal(int account, long delta)
    {
        if (!Exists(account)) return $"no account {account}";
        if (delta == 0) return $"amount must not be zero (account {account})";
        lock (_gate)
        {
            var balance = _balances[account];
            if (delta > 0 && balance > long.MaxValue - delta) return $"amount {delta} would overflow account {account}";
            if (balance + delta < 0) return $"insufficient funds in account {account}";
        }

        return null;
    }

    /// <summary>True if <paramref name="owner"/> already holds the exclusive lock on <paramref name="account"/>.</summary>
    public bool IsLockedBy(int account, string owner)
    {
        lock (_gate) return _exclusive.TryGetValue(account, out var o) && o == owner;
    }

    /// <summary>Adds <paramref name="delta"/> if the balance stays non-negative (or always, with <paramref name="force"/>).</summary>
    /// <returns>
    /// The store write that persists it, or null when it would overdraw or overflow. The write adds the delta to the
    /// stored balance (read-modify-write inside the SDK's local transaction) rather than storing the in-memory
    /// result: concurrent sagas' writes may reach the store in another order than their in-memory applies, and the
    /// stored balance must be the sum of exactly the deltas whose barrier rows are stored with it.
    /// </returns>
    public Action<LiteDatabase>? TryApply(int account, long delta, bool force = false)
    {
        lock (_gate)
        {
            long next;
            try
            {
                next = checked(_balances[account] + delta);
            }
            catch (OverflowException)
            {
                return null;
            }

            if (next < 0 && !force) return null;
            _balances[account] = next;
        }

        return db => AddStored(db, account, delta);
    }

    private void AddStored(LiteDatabase db, int account, long delta)
    {
        var accounts = db.GetCollection(Collection);
        var stored = accounts.FindById(account) is { } doc ? doc["balance"].AsInt64 : Options.InitialBalance;
        accounts.Upsert(new BsonDocument { ["_id"] = account, ["balance"] = stored + delta });
    }

    /// <summary>
    /// Takes the exclusive lock on <paramref name="account"/>, waiting up to LockWait. With
    /// <paramref name="allowReentry"/> false, a lock the same owner already holds is refused (checked atomically with
    /// the acquisition, so two branches of one transaction racing for one account cannot both get it).
    /// </summary>
    public Task<bool> LockExclusiveAsync(int account, string owner, CancellationToken cancellationToken, bool allowReentry = true) =>
        AcquireAsync(() => TryExclusive(account, owner, allowReentry), Options.LockWait, audit: false, cancellationToken);

    /// <summary>Takes a shared lock on every account, waiting up to LockWait; returns the total read under it.</summary>
    public async Task<long?> LockSharedAndSumAsync(string owner, CancellationToken cancellationToken)
    {
        long total = 0;
        var locked = await AcquireAsync(() =>
        {
            if (!TryShared(owner)) return false;
            foreach (var b in _balances) total += b;
            return true;
        }, Options.AuditLockWait, audit: true, cancellationToken).ConfigureAwait(false);
        return locked ? total : null;
    }

    /// <summary>Re-takes an exclusive lock at recovery (it was compatible when it was first granted).</summary>
    public void RelockExclusive(int account, string owner)
    {
        lock (_gate) _exclusive[account] = owner;
    }

    /// <summary>Re-takes a shared lock at recovery.</summary>
    public void RelockShared(string owner)
    {
        lock (_gate) _auditors.Add(owner);
    }

    public void UnlockExclusive(int account, string owner)
    {
        lock (_gate)
        {
            if (_exclusive.TryGetValue(account, out var o) && o == owner && _exclusive.Remove(account)) Signal();
        }
    }

    public void UnlockShared(string owner)
    {
        lock (_gate)
        {
            if (_auditors.Remove(owner)) Signal();
        }
    }

    // True: taken. False: held by another transfer, wait. Null: an audit holds or waits, give up now.
    private bool? TryExclusive(int account, string owner, bool allowReentry)
    {
        if (_exclusive.TryGetValue(account, out var o) && o == owner) return allowReentry;
        if (_auditors.Count > 0 || _auditsWaiting > 0) return null;
        if (o is not null) return false;
        _exclusive[account] = owner;
        return true;
    }

    private bool TryShared(string owner)
    {
        if (_exclusive.Count > 0) return false;
        _auditors.Add(owner);
        return true;
    }

    private async Task<bool> AcquireAsync(Func<bool?> tryTake, TimeSpan wait, bool audit, CancellationToken cancellationToken)
    {
        var deadline = _time.GetTimestamp() + (long)(wait.TotalSeconds * _time.TimestampFrequency);
        if (audit) lock (_gate) _auditsWaiting++;
        try
        {
            while (true)
            {
                Task released;
                lock (_gate)
                {
                    if (audit) _auditsWaiting--;
                    var taken = tryTake();
                    if (audit) _auditsWaiting++;
                    if (taken != false) return taken == true;
                    released = _released.Task;
                }

                var remaining = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
                if (remaining <= TimeSpan.Zero) return false;
                try
                {
                    await released.WaitAsync(remaining, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // One last try below, then give up.
                }
            }
        }
        finally
        {
            if (audit)
            {
                lock (_gate)
                {
                    _auditsWaiting--;
                    Signal();
                }
            }
        }
    }

    private void Signal()
    {
        var old = _released;
        _released = NewSignal();
        old.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
