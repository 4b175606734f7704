using LiteDB;
using TwoPC.Participant.Resources;
using TwoPC.Participant.Storage;

namespace TwoPC.Participant.LiteDb.Tests;

/// <summary>What the LiteDB store adds to the contract: fdatasync for forced writes only, and its local-write overload.</summary>
public sealed class LiteDbParticipantStoreTests : IDisposable
{
    private readonly LiteDbStoreFixture _fixture = new();

    private static BranchRecord Record(string tx) => new(tx, 1, "accounts", [1], null, "", BranchStatus.Prepared, "", false, DateTimeOffset.UnixEpoch, null);

    [Fact]
    public async Task AForcedWrite_IsFlushedBeforeItCompletes_ALazyOneIsNot()
    {
        using var store = _fixture.Open("flush");
        var before = _fixture.Flusher.Flushes;

        await store.WriteAsync(new StoreWrite { Force = false, Branch = Record("tx-lazy") }, CancellationToken.None);
        Assert.Equal(before, _fixture.Flusher.Flushes);

        await store.WriteAsync(new StoreWrite { Force = true, Branch = Record("tx-forced") }, CancellationToken.None);
        Assert.True(_fixture.Flusher.Flushes > before, "a forced write completed without an fdatasync of the file");
    }

    [Fact]
    public async Task TheWriteOverload_RunsInsideTheStoreTransaction()
    {
        using var store = _fixture.Open("overload");
        var context = new TestContext(store.TransactionType);
        context.Write(db => db.GetCollection("business").Insert(new BsonDocument { ["_id"] = "row" }));

        await store.WriteAsync(new StoreWrite { Force = true, LocalWrites = context.Writes, Branch = Record("tx-overload") }, CancellationToken.None);

        Assert.NotNull(store.Database.GetCollection("business").FindById("row"));
    }

    [Fact]
    public void AWriteForAnotherStoresTransactionType_IsRefusedWhenAdded()
    {
        using var store = _fixture.Open("wrong-type");
        var context = new TestContext(store.TransactionType);

        var error = Assert.Throws<InvalidOperationException>(() => context.Write<OtherTransaction>((_, _) => ValueTask.CompletedTask));
        Assert.Contains(nameof(LiteDbStoreTransaction), error.Message);
    }

    public void Dispose() => _fixture.Dispose();

    private sealed class OtherTransaction : IStoreTransaction;

    private sealed class TestContext(Type transactionType) : BranchContext(transactionType, TwoPC.Client.Serialization.TwoPcSerializer.Default, "tx", 1, "accounts", [], null, "");
}
