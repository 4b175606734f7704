using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;
using TwoPC.Coordinator.Diagnostics;
using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Protocols;
using TwoPC.Coordinator.Protocols.Saga;
using TwoPC.Coordinator.Protocols.TwoPhase;
using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Storage.LiteDb;
using TwoPC.Coordinator.Transactions;
using TwoPC.Durability;
using static TwoPC.Coordinator.Tests.Protocols.Saga.SagaTestHarness;

namespace TwoPC.Coordinator.Tests.Protocols.Saga;

/// <summary>A saga parked before a restart is reloaded from the LiteDB file and finished by the coordinator's cadence.</summary>
public sealed class ParkedSagaRestartTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "twopc-tests", Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly IParticipantClient _participants = Substitute.For<IParticipantClient>();
    private volatile bool _airlineDown = true;
    private int _flightCompensations;

    public ParkedSagaRestartTests()
    {
        _participants.ExecuteAsync(Arg.Any<SagaStepRecord>(), Arg.Any<string>(), Arg.Any<int>(), Arg.Any<CancellationToken>()).Returns(ci =>
        {
            var step = ci.Arg<SagaStepRecord>();
            return step.Name == "hotel" ? new ExecuteReply(StepOutcome.Failed, [], "no rooms") : Succeeded(step.Name);
        });
        _participants.CompensateAsync(Arg.Any<SagaStepRecord>(), Arg.Any<string>(), Arg.Any<int>(), Arg.Any<CancellationToken>()).Returns(ci =>
        {
            if (ci.Arg<SagaStepRecord>().Name != "flight") return Task.FromResult(false);
            Interlocked.Increment(ref _flightCompensations);
            return _airlineDown ? Task.FromException<bool>(new ParticipantUnreachableException("airline down")) : Task.FromResult(false);
        });
    }

    private sealed record Coordinator(LiteDbTransactionLog Log, EngineServices Engine, TransactionManager Manager) : IDisposable
    {
        public void Dispose()
        {
            Engine.Stop();
            Log.Dispose();
        }
    }

    private Coordinator Start()
    {
        var log = new LiteDbTransactionLog(new GroupCommitOptions { Path = Path.Combine(_dir, "coordinator.db") }, new FdatasyncFileFlusher(new DurabilityMetrics()), new DurabilityMetrics());
        var options = Microsoft.Extensions.Options.Options.Create(new CoordinatorOptions
        {
            RetryInitialDelay = TimeSpan.FromMilliseconds(1),
            RetryMaxDelay = TimeSpan.FromMilliseconds(5),
            CompensationAttemptLimit = CompensationLimit,
            ParkedSagaRetryInterval = Interval,
        });
        var engine = new EngineServices(log, new TransactionTable(), _participants, options, _time, new CoordinatorMetrics(), NullLogger<EngineServices>.Instance);
        var saga = new SagaProcessor(engine);
        var manager = new TransactionManager(engine, new TwoPhaseCommitProcessor(engine), saga);
        manager.Register(saga);
        return new Coordinator(log, engine, manager);
    }

    private async Task AdvanceUntilAsync(Coordinator c, string id, TransactionState state, TimeSpan step)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((await c.Log.GetAsync(id, CancellationToken.None))?.State != state)
        {
            _time.Advance(step);
            await Task.Delay(1, timeout.Token);
        }
    }

    [Fact]
    public async Task ParkedSaga_AfterARestartOverTheSameFile_IsReloaded_ThenRetriedByTheCadence_AndFinishes()
    {
        var record = new TransactionRecord { Id = TransactionManager.NewId(), Mode = TransactionMode.Saga, State = TransactionState.SagaRunning, CreatedAt = _time.GetUtcNow(), Steps = [.. Trip()] };
        using (var first = Start())
        {
            await first.Log.SaveAsync(record, WriteDurability.Forced, CancellationToken.None);
            await first.Manager.RecoverAsync(CancellationToken.None);
            await AdvanceUntilAsync(first, record.Id, TransactionState.SagaNeedsAttention, TimeSpan.FromMilliseconds(10));
        }

        Assert.Equal(CompensationLimit, _flightCompensations);
        using var second = Start();
        var loaded = await second.Manager.RecoverAsync(CancellationToken.None);

        Assert.Equal(1, loaded);
        Assert.True(second.Engine.Table.TryGet(record.Id, out _), "the parked saga is live again after the restart");
        _airlineDown = false;
        await AdvanceUntilAsync(second, record.Id, TransactionState.SagaCompensated, TimeSpan.FromSeconds(1));

        var end = (await second.Log.GetAsync(record.Id, CancellationToken.None))!;
        Assert.Equal(BranchState.StepCompensated, end.Step("flight").State);
        Assert.Equal(CompensationLimit + 1, _flightCompensations);
        Assert.True(end.CompletedAt >= _time.GetUtcNow() - TimeSpan.FromSeconds(5), "the end is stamped when compensation finished, not when it parked");

        // Ended COMPENSATED, it is forgettable like any finished saga.
        _time.Advance(second.Engine.Options.FinishedRetention + TimeSpan.FromMinutes(1));
        Assert.Equal(1, await second.Manager.ForgetAsync(CancellationToken.None));
        Assert.Null(await second.Log.GetAsync(record.Id, CancellationToken.None));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }
    }
}
