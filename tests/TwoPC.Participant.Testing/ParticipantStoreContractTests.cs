using TwoPC.Participant.Storage;

namespace TwoPC.Participant.Testing;

/// <summary>
/// The durability contract of <see cref="IParticipantStore"/> (see its remarks), run unchanged against every store. A
/// derived class says how to open a store on a named location and how to reopen it as a restarted process would.
/// </summary>
public abstract class ParticipantStoreContractTests : IAsyncLifetime
{
    private readonly List<IParticipantStore> _open = new();

    /// <summary>Opens (creating when absent) the store at <paramref name="location"/>, a name unique to one test.</summary>
    protected abstract Task<IParticipantStore> OpenAsync(string location);

    /// <summary>Closes a store as a clean shutdown would (the next open of the same location sees its forced writes).</summary>
    protected abstract Task CloseAsync(IParticipantStore store);

    /// <summary>A local write, for this store's transaction type, that records <paramref name="key"/> as business data.</summary>
    protected abstract LocalWrite BusinessWrite(string key);

    /// <summary>Reads the business data written by <see cref="BusinessWrite"/>: true when present.</summary>
    protected abstract Task<bool> HasBusinessRowAsync(IParticipantStore store, string key);

    private string Location { get; } = "contract-" + Guid.NewGuid().ToString("N");

    /// <inheritdoc />
    public Task InitializeAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        foreach (var store in _open) await CloseAsync(store);
    }

    private async Task<IParticipantStore> StoreAsync(string? location = null)
    {
        var store = await OpenAsync(location ?? Location);
        _open.Add(store);
        return store;
    }

    private async Task<IParticipantStore> ReopenAsync(IParticipantStore store)
    {
        _open.Remove(store);
        await CloseAsync(store);
        return await StoreAsync();
    }

    private static BranchRecord Prepared(string tx, int branch = 1, byte[]? state = null, string logId = "log-1") => new(
        tx, branch, "accounts", [1, 2, 3], state, "http://127.0.0.1:7000/", BranchStatus.Prepared, "", Tombstone: false,
        new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero), null, logId);

    private static BarrierRow Row(string tx, string operation = BarrierRow.Action, int result = 1) =>
        new(tx, "reserve", operation, result, [9, 8], "", new DateTimeOffset(2026, 12, 1, 10, 0, 1, TimeSpan.Zero));

    [Fact]
    public async Task TransactionType_IsAStoreTransaction_AndLocalWritesReceiveOne()
    {
        var store = await StoreAsync();
        Assert.True(typeof(IStoreTransaction).IsAssignableFrom(store.TransactionType));
        Type? seen = null;
        await store.WriteAsync(new StoreWrite
        {
            Force = true,
            LocalWrites = [(tx, _) => { seen = tx.GetType(); return ValueTask.CompletedTask; }],
            Branch = Prepared("tx-type"),
        }, CancellationToken.None);
        Assert.NotNull(seen);
        Assert.True(store.TransactionType.IsAssignableFrom(seen));
    }

    [Fact]
    public async Task ForcedBranchRecord_SurvivesAReopen_WithEveryField()
    {
        var store = await StoreAsync();
        var record = Prepared("tx-fields", 3, state: [7, 7]);
        await store.WriteAsync(new StoreWrite { Force = true, Branch = record }, CancellationToken.None);

        store = await ReopenAsync(store);
        var read = await store.FindBranchAsync("tx-fields", 3, CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal(record.Key, read.Key);
        Assert.Equal(record.Resource, read.Resource);
        Assert.Equal(record.Payload, read.Payload);
        Assert.Equal(record.State, read.State);
        Assert.Equal(record.CoordinatorAddress, read.CoordinatorAddress);
        Assert.Equal(record.Status, read.Status);
        Assert.Equal(record.Tombstone, read.Tombstone);
        Assert.Equal(record.PreparedAt, read.PreparedAt);
        Assert.Null(read.DecidedAt);
        Assert.Equal("log-1", read.LogId);
    }

    [Fact]
    public async Task MissingRecords_AreNull()
    {
        var store = await StoreAsync();
        Assert.Null(await store.FindBranchAsync("tx-none", 1, CancellationToken.None));
        Assert.Null(await store.FindBarrierAsync("tx-none", "reserve", BarrierRow.Action, CancellationToken.None));
    }

    [Fact]
    public async Task ABranchRecordIsReplaced_AndThePreparedSetFollowsItsStatus()
    {
        var store = await StoreAsync();
        await store.WriteAsync(new StoreWrite { Force = true, Branch = Prepared("tx-a") }, CancellationToken.None);
        await store.WriteAsync(new StoreWrite { Force = true, Branch = Prepared("tx-b") }, CancellationToken.None);
        await store.WriteAsync(new StoreWrite { Force = false, Branch = Prepared("tx-c") with { Status = BranchStatus.ReadOnly, DecidedAt = DateTimeOffset.UnixEpoch } }, CancellationToken.None);
        Assert.Equal(["tx-a", "tx-b"], (await PreparedIdsAsync(store)).Order());

        var decided = Prepared("tx-a") with { Status = BranchStatus.Committed, DecidedAt = new DateTimeOffset(2026, 12, 1, 10, 0, 5, TimeSpan.Zero) };
        await store.WriteAsync(new StoreWrite { Force = true, Branch = decided }, CancellationToken.None);

        Assert.Equal(["tx-b"], await PreparedIdsAsync(store));
        var read = await store.FindBranchAsync("tx-a", 1, CancellationToken.None);
        Assert.Equal(BranchStatus.Committed, read!.Status);
        Assert.Equal(decided.DecidedAt, read.DecidedAt);

        store = await ReopenAsync(store);
        Assert.Equal(["tx-b"], await PreparedIdsAsync(store));
    }

    [Fact]
    public async Task LocalWritesAndTheRecord_CommitTogether()
    {
        var store = await StoreAsync();
        await store.WriteAsync(new StoreWrite { Force = true, LocalWrites = [BusinessWrite("row-1"), BusinessWrite("row-2")], Branch = Prepared("tx-local") }, CancellationToken.None);

        store = await ReopenAsync(store);
        Assert.True(await HasBusinessRowAsync(store, "row-1"));
        Assert.True(await HasBusinessRowAsync(store, "row-2"));
        Assert.NotNull(await store.FindBranchAsync("tx-local", 1, CancellationToken.None));
    }

    [Fact]
    public async Task ALocalWriteThatThrows_FailsTheWrite_AndNothingOfItCommits()
    {
        var store = await StoreAsync();
        var write = new StoreWrite
        {
            Force = true,
            LocalWrites = [BusinessWrite("row-before"), (_, _) => throw new InvalidOperationException("broken local write")],
            Branch = Prepared("tx-broken"),
        };

        await Assert.ThrowsAnyAsync<Exception>(() => store.WriteAsync(write, CancellationToken.None));

        Assert.False(await HasBusinessRowAsync(store, "row-before"));
        Assert.Null(await store.FindBranchAsync("tx-broken", 1, CancellationToken.None));
    }

    [Fact]
    public async Task ABarrierRowIsUnique_ASecondInsertFailsTheWholeWrite()
    {
        var store = await StoreAsync();
        await store.WriteAsync(new StoreWrite { Force = true, Barrier = Row("tx-barrier") }, CancellationToken.None);

        var second = new StoreWrite { Force = true, LocalWrites = [BusinessWrite("row-dup")], Barrier = Row("tx-barrier", result: 2) };
        await Assert.ThrowsAnyAsync<Exception>(() => store.WriteAsync(second, CancellationToken.None));

        Assert.False(await HasBusinessRowAsync(store, "row-dup"));
        var row = await store.FindBarrierAsync("tx-barrier", "reserve", BarrierRow.Action, CancellationToken.None);
        Assert.Equal(1, row!.Result);
    }

    [Fact]
    public async Task ABarrierRowIsRewritten_Unchanged_AndSurvivesAReopen()
    {
        var store = await StoreAsync();
        var row = Row("tx-rewrite", BarrierRow.Compensation, result: 3);
        await store.WriteAsync(new StoreWrite { Force = false, Barrier = row }, CancellationToken.None);
        await store.WriteAsync(new StoreWrite { Force = true, Barrier = row, BarrierMode = BarrierWriteMode.Rewrite }, CancellationToken.None);

        store = await ReopenAsync(store);
        var read = await store.FindBarrierAsync("tx-rewrite", "reserve", BarrierRow.Compensation, CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal(row.Key, read.Key);
        Assert.Equal(3, read.Result);
        Assert.Equal(row.Output, read.Output);
        Assert.Equal(row.At, read.At);
        Assert.Null(await store.FindBarrierAsync("tx-rewrite", "reserve", BarrierRow.Action, CancellationToken.None));
    }

    [Fact]
    public async Task LazyWrites_AreVisibleToReadsAtOnce()
    {
        var store = await StoreAsync();
        await store.WriteAsync(new StoreWrite { Force = false, Branch = Prepared("tx-lazy") with { Status = BranchStatus.VotedAbort, Reason = "no" } }, CancellationToken.None);
        Assert.Equal("no", (await store.FindBranchAsync("tx-lazy", 1, CancellationToken.None))!.Reason);
    }

    [Fact]
    public async Task ConcurrentForcedWrites_AllCommit()
    {
        var store = await StoreAsync();
        await Task.WhenAll(Enumerable.Range(1, 64).Select(i =>
            store.WriteAsync(new StoreWrite { Force = true, LocalWrites = [BusinessWrite("c-" + i)], Branch = Prepared("tx-c" + i) }, CancellationToken.None)));

        store = await ReopenAsync(store);
        Assert.Equal(64, (await PreparedIdsAsync(store)).Count);
        Assert.True(await HasBusinessRowAsync(store, "c-64"));
    }

    [Fact]
    public async Task AfterFailStop_TheStoreRefusesEveryCall()
    {
        var store = await StoreAsync();
        await store.WriteAsync(new StoreWrite { Force = true, Branch = Prepared("tx-stop") }, CancellationToken.None);
        var reason = new IOException("the disk failed");

        store.FailStop(reason);
        store.FailStop(new IOException("a second stop changes nothing"));

        Assert.NotNull(store.Failure);
        await Assert.ThrowsAnyAsync<Exception>(() => store.WriteAsync(new StoreWrite { Force = true, Branch = Prepared("tx-after") }, CancellationToken.None));
        await Assert.ThrowsAnyAsync<Exception>(async () => await store.FindBranchAsync("tx-stop", 1, CancellationToken.None));
        await Assert.ThrowsAnyAsync<Exception>(async () => await store.FindPreparedAsync((_, _) => { }, CancellationToken.None));
        await Assert.ThrowsAnyAsync<Exception>(async () => await store.FindBarrierAsync("tx-stop", "reserve", BarrierRow.Action, CancellationToken.None));

        store = await ReopenAsync(store);
        Assert.Null(store.Failure);
        Assert.NotNull(await store.FindBranchAsync("tx-stop", 1, CancellationToken.None));
        Assert.Null(await store.FindBranchAsync("tx-after", 1, CancellationToken.None));
    }

    private static async Task<List<string>> PreparedIdsAsync(IParticipantStore store)
    {
        var unreadable = new List<string>();
        var prepared = await store.FindPreparedAsync((key, _) => unreadable.Add(key), CancellationToken.None);
        Assert.Empty(unreadable);
        return prepared.Select(r => r.TransactionId).ToList();
    }
}
