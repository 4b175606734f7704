using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Storage.InMemory;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Tests.Storage;

public sealed class InMemoryTransactionLogContractTests : TransactionLogContractTests
{
    protected override ITransactionLog CreateLog() => new InMemoryTransactionLog();

    protected override ITransactionLog CrashAndReopen(ITransactionLog log)
    {
        ((InMemoryTransactionLog)log).Crash();
        return log;
    }

    [Fact]
    public async Task Crash_LosesLazySavesNotYetFlushed()
    {
        var log = new InMemoryTransactionLog();
        var record = new TransactionRecord { Id = TransactionManager.NewId(), State = TransactionState.Aborting };
        await log.SaveAsync(record, WriteDurability.Lazy, CancellationToken.None);

        log.Crash();

        Assert.Null(await log.GetAsync(record.Id, CancellationToken.None));
    }
}
