using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Tests.Storage;

/// <summary>
/// The cluster contract of <see cref="IClusteredTransactionLog"/> (leases, fencing, claims, presumed abort, one
/// identity), run against every shared store: several instances are several log objects over one store.
/// </summary>
public abstract class ClusteredTransactionLogContractTests
{
    /// <summary>A lease that outlives any test.</summary>
    protected static readonly TimeSpan LongLease = TimeSpan.FromMinutes(5);

    /// <summary>The last lease of an instance that stops renewing: short enough to wait for its expiry.</summary>
    protected static readonly TimeSpan LastLease = TimeSpan.FromMilliseconds(300);

    /// <summary>How long a test waits for a condition (a lease to expire) before it fails.</summary>
    protected static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(20);

    /// <summary>Names a new, empty store (nothing is created until an instance opens it).</summary>
    protected abstract string NewStore();

    /// <summary>Opens one more instance (a new instance id) on <paramref name="store"/>, creating the store when empty.</summary>
    protected abstract Task<IClusteredTransactionLog> OpenInstanceAsync(string store);

    /// <summary>An instance on <paramref name="store"/> holding a lease of <paramref name="lease"/>.</summary>
    protected async Task<IClusteredTransactionLog> StartInstanceAsync(string store, TimeSpan lease, string address = "")
    {
        var log = await OpenInstanceAsync(store);
        Assert.True(await log.RenewLeaseAsync(lease, address, CancellationToken.None));
        return log;
    }

    /// <summary>A record in <paramref name="state"/>.</summary>
    protected static TransactionRecord Record(TransactionState state = TransactionState.Committing, string? id = null) => new()
    {
        Id = id ?? TransactionIds.New(),
        Mode = state >= TransactionState.SagaRunning ? TransactionMode.Saga : TransactionMode.TwoPhase,
        State = state,
        CreatedAt = DateTimeOffset.UtcNow,
        Deadline = DateTimeOffset.UtcNow.AddSeconds(30),
        DecidedAt = DateTimeOffset.UtcNow,
        CompletedAt = state.IsFinished() ? DateTimeOffset.UtcNow : null,
        Branches = [new BranchRecord { BranchId = 1, ParticipantAddress = "http://127.0.0.1:1", Resource = "a", State = BranchState.Prepared, Vote = Vote.Prepared, PrepareSent = true }],
    };

    /// <summary>
    /// <paramref name="log"/>'s instance stops renewing: a last, short renewal, so that its lease expires soon (its
    /// writes until then ran under a long lease, whatever the machine's load).
    /// </summary>
    protected static async Task StopRenewingAsync(IClusteredTransactionLog log) =>
        Assert.True(await log.RenewLeaseAsync(LastLease, "", CancellationToken.None));

    /// <summary>Waits (polling) until the store says the lease of the owner of <paramref name="recordOwnedByIt"/> has expired.</summary>
    protected static async Task WaitForExpiryAsync(IClusteredTransactionLog observer, string recordOwnedByIt)
    {
        var deadline = DateTime.UtcNow + WaitLimit;
        while ((await observer.GetOwnerAsync(recordOwnedByIt, CancellationToken.None))?.LeaseLive != false)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the owner's lease of {recordOwnedByIt} did not expire within {WaitLimit}");
            await Task.Delay(50);
        }
    }

    private static Task Save(IClusteredTransactionLog log, TransactionRecord record) => log.SaveAsync(record, WriteDurability.Forced, CancellationToken.None);

    [Fact]
    public async Task Save_OfARecordAnotherInstanceOwns_IsFenced_AndWritesNothing()
    {
        var store = NewStore();
        var a = await StartInstanceAsync(store, LongLease);
        var b = await StartInstanceAsync(store, LongLease);
        var record = Record(TransactionState.Committing);
        await Save(a, record);

        var theirs = record.Clone();
        theirs.State = TransactionState.Aborting;
        var refused = await Assert.ThrowsAsync<OwnershipLostException>(() => Save(b, theirs));

        Assert.Equal(record.Id, refused.TransactionId);
        Assert.Equal(TransactionState.Committing, (await b.GetAsync(record.Id, CancellationToken.None))?.State);
        Assert.Equal(a.InstanceId, (await b.GetOwnerAsync(record.Id, CancellationToken.None))?.InstanceId);
    }

    [Fact]
    public async Task Save_WithoutALease_IsFenced()
    {
        var store = NewStore();
        var unregistered = await OpenInstanceAsync(store);
        var record = Record();

        await Assert.ThrowsAsync<OwnershipLostException>(() => Save(unregistered, record));

        Assert.Null(await unregistered.GetAsync(record.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Claim_AfterTheOwnersLeaseExpired_TakesItsUnfinishedRecords_AsStored()
    {
        var store = NewStore();
        var a = await StartInstanceAsync(store, LongLease);
        var b = await StartInstanceAsync(store, LongLease);
        var committing = Record(TransactionState.Committing);
        var compensating = Record(TransactionState.SagaCompensating);
        var done = Record(TransactionState.Committed);
        foreach (var r in new[] { committing, compensating, done }) await Save(a, r);
        Assert.Empty(await b.ClaimOrphansAsync(100, CancellationToken.None));

        await StopRenewingAsync(a);
        await WaitForExpiryAsync(b, committing.Id);
        var claimed = await b.ClaimOrphansAsync(100, CancellationToken.None);

        Assert.Equal(new[] { committing.Id, compensating.Id }.Order(), claimed.Select(r => r.Id).Order());
        Assert.Equal(TransactionState.SagaCompensating, claimed.Single(r => r.Id == compensating.Id).State);
        Assert.Equal("a", claimed.Single(r => r.Id == committing.Id).Branches.Single().Resource);
        Assert.Equal(b.InstanceId, (await a.GetOwnerAsync(committing.Id, CancellationToken.None))?.InstanceId);
        Assert.Equal(a.InstanceId, (await a.GetOwnerAsync(done.Id, CancellationToken.None))?.InstanceId);
        committing.State = TransactionState.Committed;
        committing.CompletedAt = DateTimeOffset.UtcNow;
        await Save(b, committing);
        Assert.Empty(await b.ClaimOrphansAsync(100, CancellationToken.None));
    }

    [Fact]
    public async Task Claim_ByRacingInstances_TakesEachRecordExactlyOnce()
    {
        var store = NewStore();
        var a = await StartInstanceAsync(store, LongLease);
        var records = Enumerable.Range(0, 90).Select(_ => Record(TransactionState.Committing)).ToList();
        await Task.WhenAll(records.Select(r => Save(a, r)));
        var claimants = new List<IClusteredTransactionLog>();
        for (var i = 0; i < 3; i++) claimants.Add(await StartInstanceAsync(store, LongLease));
        await StopRenewingAsync(a);
        await WaitForExpiryAsync(claimants[0], records[0].Id);
        using var start = new Barrier(claimants.Count);

        async Task<List<string>> ClaimAll(IClusteredTransactionLog log)
        {
            start.SignalAndWait(WaitLimit);
            var ids = new List<string>();
            for (var round = 0; round < 200; round++)
            {
                var claimed = await log.ClaimOrphansAsync(2, CancellationToken.None);
                if (claimed.Count == 0) break;
                ids.AddRange(claimed.Select(r => r.Id));
            }

            return ids;
        }

        var claims = await Task.WhenAll(claimants.Select(c => Task.Run(() => ClaimAll(c))));
        // A claimant may stop early when every row it saw was taken meanwhile; a last sweep collects what is left.
        claims[0].AddRange((await claimants[0].ClaimOrphansAsync(records.Count, CancellationToken.None)).Select(r => r.Id));

        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(records.Select(r => r.Id).Order(), all.Order());
        for (var i = 0; i < claimants.Count; i++)
        {
            foreach (var id in claims[i]) Assert.Equal(claimants[i].InstanceId, (await a.GetOwnerAsync(id, CancellationToken.None))!.InstanceId);
        }
    }

    [Fact]
    public async Task Claim_AndPresumeAbort_ByAnInstanceWhoseOwnLeaseExpired_TakeAndStoreNothing()
    {
        var store = NewStore();
        var a = await StartInstanceAsync(store, LongLease);
        var b = await StartInstanceAsync(store, LongLease);
        var orphan = Record(TransactionState.Committing);
        var bs = Record(TransactionState.Committing);
        await Save(a, orphan);
        await Save(b, bs);
        await StopRenewingAsync(a);
        await StopRenewingAsync(b);
        await WaitForExpiryAsync(a, orphan.Id);
        await WaitForExpiryAsync(a, bs.Id);
        var unknown = TransactionIds.New();

        Assert.Empty(await b.ClaimOrphansAsync(100, CancellationToken.None));
        await Assert.ThrowsAsync<OwnershipLostException>(() => b.PresumeAbortAsync(unknown, "no record", CancellationToken.None));

        Assert.Equal(a.InstanceId, (await b.GetOwnerAsync(orphan.Id, CancellationToken.None))?.InstanceId);
        Assert.Null(await b.GetAsync(unknown, CancellationToken.None));
    }

    [Fact]
    public async Task Save_AfterTheLeaseExpired_IsFenced_EvenBeforeAnyoneClaims()
    {
        var store = NewStore();
        var a = await StartInstanceAsync(store, LongLease);
        var observer = await OpenInstanceAsync(store);
        var record = Record(TransactionState.Committing);
        await Save(a, record);

        await StopRenewingAsync(a);
        await WaitForExpiryAsync(observer, record.Id);
        var decided = record.Clone();
        decided.State = TransactionState.Aborting;
        var fresh = Record();

        await Assert.ThrowsAsync<OwnershipLostException>(() => Save(a, decided));
        await Assert.ThrowsAsync<OwnershipLostException>(() => a.SaveAsync(fresh, WriteDurability.Lazy, CancellationToken.None));
        Assert.Equal(TransactionState.Committing, (await observer.GetAsync(record.Id, CancellationToken.None))?.State);
        Assert.Null(await observer.GetAsync(fresh.Id, CancellationToken.None));
        Assert.Equal(a.InstanceId, (await observer.GetOwnerAsync(record.Id, CancellationToken.None))?.InstanceId);
    }

    [Fact]
    public async Task RenewLease_ExtendsALiveLease_ButOnceExpiredReturnsFalseForGood()
    {
        var store = NewStore();
        var lease = TimeSpan.FromSeconds(2);
        var a = await StartInstanceAsync(store, lease);
        var observer = await OpenInstanceAsync(store);
        var record = Record();
        await Save(a, record);
        // Renewed well inside its lease for longer than one lease: it stays live.
        var until = DateTime.UtcNow + lease + TimeSpan.FromSeconds(0.5);
        while (DateTime.UtcNow < until)
        {
            Assert.True(await a.RenewLeaseAsync(lease, "", CancellationToken.None));
            await Task.Delay(200);
        }

        Assert.True((await observer.GetOwnerAsync(record.Id, CancellationToken.None))!.LeaseLive);

        await WaitForExpiryAsync(observer, record.Id);

        Assert.False(await a.RenewLeaseAsync(lease, "", CancellationToken.None));
        Assert.False(await a.RenewLeaseAsync(LongLease, "", CancellationToken.None));
        Assert.False((await observer.GetOwnerAsync(record.Id, CancellationToken.None))!.LeaseLive);
    }

    [Fact]
    public async Task PresumeAbort_StoresAnAbortedRecord_ThatNoLaterFirstSaveReplaces()
    {
        var store = NewStore();
        var a = await StartInstanceAsync(store, LongLease);
        var b = await StartInstanceAsync(store, LongLease);
        var id = TransactionIds.New();

        var presumed = await b.PresumeAbortAsync(id, "no record", CancellationToken.None);

        Assert.Equal((id, TransactionState.Aborted), (presumed.Id, presumed.State));
        Assert.Equal(TransactionState.Aborted, (await a.GetAsync(id, CancellationToken.None))?.State);
        await Assert.ThrowsAsync<OwnershipLostException>(() => Save(a, Record(TransactionState.Committing, id)));
        await Assert.ThrowsAsync<OwnershipLostException>(() => Save(b, Record(TransactionState.Committing, id)));
        Assert.Equal(TransactionState.Aborted, (await a.GetAsync(id, CancellationToken.None))?.State);
        Assert.Equal(TransactionState.Aborted, (await a.PresumeAbortAsync(id, "again", CancellationToken.None)).State);
    }

    [Fact]
    public async Task PresumeAbort_OfAnExistingRecord_ReturnsItUnchanged()
    {
        var store = NewStore();
        var a = await StartInstanceAsync(store, LongLease);
        var b = await StartInstanceAsync(store, LongLease);
        var record = Record(TransactionState.Committing);
        await Save(a, record);

        var stored = await b.PresumeAbortAsync(record.Id, "no record", CancellationToken.None);

        Assert.Equal(TransactionState.Committing, stored.State);
        Assert.Equal(TransactionState.Committing, (await a.GetAsync(record.Id, CancellationToken.None))?.State);
        Assert.Equal(a.InstanceId, (await a.GetOwnerAsync(record.Id, CancellationToken.None))?.InstanceId);
    }

    [Fact]
    public async Task GetOwner_NamesTheOwner_ItsAddress_AndALiveLease()
    {
        var store = NewStore();
        var a = await StartInstanceAsync(store, LongLease, "http://127.0.0.1:7001");
        var b = await StartInstanceAsync(store, LongLease);
        var record = Record();
        await Save(a, record);

        Assert.Equal(new TransactionOwner(a.InstanceId, "http://127.0.0.1:7001", true), await b.GetOwnerAsync(record.Id, CancellationToken.None));
        Assert.Null(await b.GetOwnerAsync(TransactionIds.New(), CancellationToken.None));
    }

    [Fact]
    public async Task LogId_IsOneForEveryInstanceOfAStore_AndDiffersBetweenStores()
    {
        var store = NewStore();
        var a = await OpenInstanceAsync(store);
        var b = await OpenInstanceAsync(store);
        var other = await OpenInstanceAsync(NewStore());

        Assert.False(string.IsNullOrWhiteSpace(a.LogId));
        Assert.Equal(a.LogId, b.LogId);
        Assert.NotEqual(a.InstanceId, b.InstanceId);
        Assert.NotEqual(a.LogId, other.LogId);
    }

    [Fact]
    public async Task InstancesStartingAtOnce_OnAnEmptyStore_CreateItOnce_AndAgreeOnItsIdentity()
    {
        var store = NewStore();

        var logs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => OpenInstanceAsync(store))));

        Assert.Single(logs.Select(l => l.LogId).Distinct());
        foreach (var log in logs)
        {
            Assert.True(await log.RenewLeaseAsync(LongLease, "", CancellationToken.None));
            await Save(log, Record());
        }
    }

    [Fact]
    public async Task ConcurrentSaves_OneFencedRecord_FailsOnlyThatRecord()
    {
        var store = NewStore();
        var a = await StartInstanceAsync(store, LongLease);
        var b = await StartInstanceAsync(store, LongLease);
        var theirs = Record();
        await Save(b, theirs);
        var mine = Enumerable.Range(0, 20).Select(_ => Record()).ToList();

        var saves = mine.Select(r => Save(a, r)).Append(Save(a, theirs.Clone())).ToList();
        var outcome = await Task.WhenAll(saves.Select(async s =>
        {
            try
            {
                await s;
                return null;
            }
            catch (Exception e)
            {
                return e;
            }
        }));

        Assert.All(outcome.Take(20), Assert.Null);
        Assert.Equal(theirs.Id, Assert.IsType<OwnershipLostException>(outcome[20]).TransactionId);
        foreach (var r in mine) Assert.NotNull(await b.GetAsync(r.Id, CancellationToken.None));
    }
}
