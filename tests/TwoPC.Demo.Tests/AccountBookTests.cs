extern alias bank;

using bank::TwoPC.Demo.Bank.Accounts;
using Microsoft.Extensions.Options;
using TwoPC.Durability;
using TwoPC.Participant.LiteDb;
using Xunit;

namespace TwoPC.Demo.Tests;

/// <summary>The bank's persisted balances under concurrent branches (no processes: the book over a real LiteDB store file).</summary>
public sealed class AccountBookTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("twopc-book-").FullName;
    private readonly LiteDbParticipantStore _store;

    public AccountBookTests()
    {
        var metrics = new DurabilityMetrics();
        _store = new LiteDbParticipantStore(Options.Create(new LiteDbParticipantStoreOptions { DataPath = Path.Combine(_dir, "bank.db") }),
            new FdatasyncFileFlusher(metrics), metrics, new ThrowingFailStop());
    }

    [Fact]
    public async Task TwoApplies_PersistedInTheOtherOrder_StoreTheSumOfBothDeltas()
    {
        var book = new AccountBook(_store, Options.Create(new BankOptions { Accounts = 2, InitialBalance = 1000 }), TimeProvider.System);

        // Two sagas debit account 0 in memory in this order; their local writes reach the store in the other order
        // (each rides on its own barrier write, and concurrent writes are not ordered by their in-memory applies).
        var first = book.TryApply(0, -10)!;
        var second = book.TryApply(0, -20)!;
        await _store.WriteAsync(second, force: true, CancellationToken.None);
        await _store.WriteAsync(first, force: true, CancellationToken.None);

        Assert.Equal(970, book.Balance(0));
        Assert.Equal(970, _store.Database.GetCollection(AccountBook.Collection).FindById(0)["balance"].AsInt64);
    }

    [Fact]
    public void AnApplyThatWouldOverdraw_GivesNoWrite_AndChangesNothing()
    {
        var book = new AccountBook(_store, Options.Create(new BankOptions { Accounts = 1, InitialBalance = 5 }), TimeProvider.System);

        Assert.Null(book.TryApply(0, -6));
        Assert.Equal(5, book.Balance(0));
        Assert.Null(_store.Database.GetCollection(AccountBook.Collection).FindById(0));
    }

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private sealed class ThrowingFailStop : IStorageFailStop
    {
        public void Stop(StorageFailedException failure) => throw new InvalidOperationException("the store failed in a test", failure);
    }
}
