using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Recovery;
using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Transactions;
using static TwoPC.Coordinator.Tests.Protocols.Saga.SagaTestHarness;

namespace TwoPC.Coordinator.Tests.Protocols.Saga;

public sealed class SagaRecoveryTests
{
    [Fact]
    public async Task Recovery_AfterRestart_ResumesUnfinishedSagaThroughDi()
    {
        var h = new SagaTestHarness();
        var steps = Shopping();
        steps[0].State = BranchState.StepSucceeded;
        steps[1].State = BranchState.StepRunning;
        steps[1].Attempts = 1;
        var record = new TransactionRecord { Id = TransactionManager.NewId(), Mode = TransactionMode.Saga, State = TransactionState.SagaRunning, Steps = [.. steps] };
        await h.Log.SaveAsync(record, WriteDurability.Forced, CancellationToken.None);

        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<ITransactionLog>(h.Log);
        services.AddSingleton(h.Participants);
        services.AddTwoPcCoordinator(o => o.DataPath = Path.Combine(Path.GetTempPath(), "unused.db"));
        await using var provider = services.BuildServiceProvider();
        var recovery = provider.GetServices<IHostedService>().OfType<RecoveryHostedService>().Single();

        await recovery.StartAsync(CancellationToken.None);
        var end = await WaitForAsync(h, record.Id, r => r.State.IsFinished());
        await recovery.StopAsync(CancellationToken.None);

        Assert.Equal(TransactionState.SagaCompleted, end.State);
        Assert.Equal(["payment", "shipping"], h.Executed());
    }

    private static async Task<TransactionRecord> WaitForAsync(SagaTestHarness h, string id, Func<TransactionRecord, bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var r = await h.Log.GetAsync(id, timeout.Token);
            if (r is not null && condition(r)) return r;
            await Task.Delay(5, timeout.Token);
        }
    }
}
