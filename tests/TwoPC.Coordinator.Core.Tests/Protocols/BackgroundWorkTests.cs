using Microsoft.Extensions.Options;
using NSubstitute;
using TwoPC.Coordinator.Diagnostics;
using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Protocols;
using TwoPC.Coordinator.Storage.InMemory;
using TwoPC.Coordinator.Tests.Support;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Tests.Protocols;

/// <summary>Background work the engine starts is owned: a fault is logged, never left unobserved.</summary>
public sealed class BackgroundWorkTests
{
    [Fact]
    public async Task StartDriver_TheDriverSeamFaults_TheFaultIsLoggedWithTheTransaction()
    {
        var logger = new RecordingLogger<EngineServices>();
        var engine = new EngineServices(new InMemoryTransactionLog(), new TransactionTable(), Substitute.For<IParticipantClient>(),
            Options.Create(new CoordinatorOptions()), TimeProvider.System, new CoordinatorMetrics(), logger)
        {
            RunDriver = _ => Task.FromException(new InvalidOperationException("the thread pool refused the work")),
        };
        var handle = new TransactionHandle(new TransactionRecord { Id = TransactionManager.NewId() });

        engine.StartDriver(handle, _ => Task.CompletedTask);
        await engine.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        var logged = Assert.Single(logger.Named("BackgroundWorkFailed"));
        Assert.Equal(handle.Id, logged.TransactionId);
        Assert.IsType<InvalidOperationException>(logged.Exception);
    }
}
