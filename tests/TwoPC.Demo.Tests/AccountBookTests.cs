extern alias bank;

using bank::TwoPC.Demo.Bank.Accounts;
using LiteDB;
using Microsoft.Extensions.Options;
using TwoPC.Durability;
using TwoPC.Participant.Storage;
using Xunit;

namespace TwoPC.Demo.Tests;

/// <summary>The bank's persisted balances under concurrent branches (no processes: the book over a LiteDB in memory).</summary>
public sealed class AccountBookTests : IDisposable
{
    private readonly MemoryStore _store = new();

    [Fact]
    public void TwoApplies_PersistedInTheOtherOrder_StoreTheSumOfBothDeltas()
    {
        var book = new AccountBook(_store, Options.Create(new BankOptions { Accounts = 2, InitialBalance = 1000 }), TimeProvider.System);

        // Two sagas debit account 0 in memory in this order; their local writes reach the store in the other order
        // (each rides on its own barrier write, and concurrent writes are not ordered by their in-memory applies).
        var first = book.TryApply(0, -10)!;
        var second = book.TryApply(0, -20)!;
        second(_store.Database);
        first(_store.Database);

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

    public void Dispose() => _store.Database.Dispose();

    private sealed class MemoryStore : IParticipantStore
    {
        public LiteDatabase Database { get; } = new(new MemoryStream());

        public LiteDbGroupCommitter Committer => throw new NotSupportedException("the book only reads the database at start");
    }
}
