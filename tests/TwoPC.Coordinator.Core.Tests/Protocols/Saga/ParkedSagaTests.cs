using Microsoft.Extensions.Time.Testing;
using NSubstitute;
using TwoPC.Coordinator.Diagnostics;
using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Protocols.TwoPhase;
using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Transactions;
using static TwoPC.Coordinator.Tests.Protocols.Saga.SagaTestHarness;

namespace TwoPC.Coordinator.Tests.Protocols.Saga;

/// <summary>
/// A saga parked as NEEDS_ATTENTION stays live: it is never forgotten, the coordinator retries it every
/// ParkedSagaRetryInterval with a fresh compensation budget, and an operator can resume it at once.
/// </summary>
public sealed class ParkedSagaTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly SagaTestHarness _h;
    private volatile bool _airlineDown = true;

    public ParkedSagaTests()
    {
        _h = new SagaTestHarness(_time, o => o.ParkedSagaRetryInterval = Interval);
        _h.Execute("hotel", _ => Task.FromResult(new ExecuteReply(StepOutcome.Failed, [], "no rooms")));
        _h.Compensate("flight", _ => _airlineDown ? Task.FromException<bool>(new ParticipantUnreachableException("airline down")) : Task.FromResult(false));
    }

    private TransactionManager CreateManager() => new(_h.Engine, new TwoPhaseCommitProcessor(_h.Engine), _h.CreateSut());

    private Task<bool> DurableStateIs(string id, TransactionState state) => Task.FromResult(_h.Log.GetDurable(id)?.State == state);

    private int FlightCompensations() => _h.Compensated().Count(s => s == "flight");

    /// <summary>Runs the trip until it parks (flight's compensation keeps failing); returns the handle and its driver.</summary>
    private async Task<(TransactionHandle Handle, Task Driver)> ParkAsync(CancellationToken cancellationToken)
    {
        var handle = await _h.RecordAsync(TransactionState.SagaRunning, Trip());
        var driver = _h.CreateSut().ResumeAsync(handle, cancellationToken);
        await _h.AdvanceUntilAsync(() => DurableStateIs(handle.Id, TransactionState.SagaNeedsAttention), TimeSpan.FromMilliseconds(10));
        return (handle, driver);
    }

    [Fact]
    public async Task ParkedSaga_IsRetriedAfterTheInterval_WithAFreshBudget_AndEndsCompensated()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var (handle, driver) = await ParkAsync(cts.Token);
        Assert.True(handle.Finished.Task.IsCompleted, "a caller waiting for the saga must hear NEEDS_ATTENTION");
        Assert.Equal(CompensationLimit, FlightCompensations());

        for (var i = 0; i < 290; i++) _time.Advance(TimeSpan.FromSeconds(1));
        await Task.Delay(100);
        Assert.Equal(CompensationLimit, FlightCompensations()); // nothing before the interval
        Assert.Equal(TransactionState.SagaNeedsAttention, _h.Durable(handle.Id).State);

        _airlineDown = false;
        await _h.AdvanceUntilAsync(() => DurableStateIs(handle.Id, TransactionState.SagaCompensated), TimeSpan.FromSeconds(1));
        await driver.WaitAsync(cts.Token);

        var end = _h.Durable(handle.Id);
        Assert.Equal(BranchState.StepCompensated, end.Step("flight").State);
        Assert.Equal(1, end.Step("flight").CompensationAttempts); // a fresh budget: first attempt of the new round
        Assert.Equal(BranchState.StepCompensated, end.Step("leave").State);
        Assert.Equal("step 'hotel' failed: no rooms", end.Reason);
        Assert.Equal(CompensationLimit + 1, FlightCompensations());
        Assert.False(_h.Engine.Table.TryGet(handle.Id, out _));
    }

    [Fact]
    public async Task ParkedSaga_RetryKeepsFailing_ParksAgain_WithItsReasonNotRepeated()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var (handle, driver) = await ParkAsync(cts.Token);
        var firstReason = _h.Durable(handle.Id).Reason;

        await _h.AdvanceUntilAsync(() => Task.FromResult(FlightCompensations() == 2 * CompensationLimit
            && _h.Log.GetDurable(handle.Id)?.State == TransactionState.SagaNeedsAttention), TimeSpan.FromSeconds(1));

        var parked = _h.Durable(handle.Id);
        Assert.Equal(firstReason, parked.Reason);
        Assert.Equal("step 'hotel' failed: no rooms; compensation of step 'flight' failed 3 times: airline down", parked.Reason);
        Assert.Equal(BranchState.StepCompensationFailed, parked.Step("flight").State);
        Assert.True(_h.Engine.Table.TryGet(handle.Id, out _), "a parked saga stays live");
        Assert.False(driver.IsCompleted);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => driver);
    }

    [Fact]
    public async Task ParkedSaga_IsNeverForgotten_AndStaysListed()
    {
        var h = new SagaTestHarness(_time, o => o.ParkedSagaRetryInterval = TimeSpan.FromDays(1));
        h.Execute("hotel", _ => Task.FromResult(new ExecuteReply(StepOutcome.Failed, [], "no rooms")));
        h.Compensate("flight", _ => Task.FromException<bool>(new ParticipantUnreachableException("airline down")));
        var manager = new TransactionManager(h.Engine, new TwoPhaseCommitProcessor(h.Engine), h.CreateSut());
        var handle = await h.RecordAsync(TransactionState.SagaRunning, Trip());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        _ = h.CreateSut().ResumeAsync(handle, cts.Token);
        await h.AdvanceUntilAsync(() => Task.FromResult(h.Log.GetDurable(handle.Id)?.State == TransactionState.SagaNeedsAttention), TimeSpan.FromMilliseconds(10));

        _time.Advance(h.Engine.Options.FinishedRetention + TimeSpan.FromMinutes(1));
        await manager.ForgetAsync(CancellationToken.None);

        Assert.Equal(TransactionState.SagaNeedsAttention, (await h.Log.GetAsync(handle.Id, CancellationToken.None))?.State);
        Assert.Equal(TransactionState.SagaNeedsAttention, (await manager.GetAsync(handle.Id, CancellationToken.None)).State);
        var (page, _) = await manager.ListAsync([TransactionState.SagaNeedsAttention], 0, null, CancellationToken.None);
        Assert.Equal([handle.Id], page.Select(r => r.Id));
        cts.Cancel();
    }

    [Fact]
    public async Task ResumeSaga_ParkedSaga_ResumesAtOnce_WithAFreshBudget()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var manager = CreateManager();
        var (handle, driver) = await ParkAsync(cts.Token);
        _airlineDown = false;

        var resumed = await manager.ResumeSagaAsync(handle.Id, "airline is back", cts.Token);

        Assert.Equal(TransactionState.SagaCompensating, resumed.State);
        Assert.Equal("step 'hotel' failed: no rooms", resumed.Reason);
        await _h.AdvanceUntilAsync(() => DurableStateIs(handle.Id, TransactionState.SagaCompensated), TimeSpan.FromMilliseconds(10));
        await driver.WaitAsync(cts.Token);
        Assert.True(_time.GetUtcNow() - _h.Durable(handle.Id).DecidedAt!.Value < Interval, "resumed without waiting for the cadence");
        Assert.Equal(1, _h.Durable(handle.Id).Step("flight").CompensationAttempts);
    }

    [Fact]
    public async Task ResumeSaga_ParkedSagaOnlyInTheLog_IsLoadedAndDrivenToItsEnd()
    {
        // A parked record in the log with no live handle (recovery skips a document whose finished flag is set).
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var manager = CreateManager();
        var steps = Trip();
        steps[0].State = BranchState.StepCompensated;
        steps[1].State = BranchState.StepCompensationFailed;
        steps[1].CompensationAttempts = CompensationLimit;
        steps[2].State = BranchState.StepFailed;
        steps[3].State = BranchState.StepSkipped;
        var record = new TransactionRecord { Id = TransactionManager.NewId(), Mode = TransactionMode.Saga, State = TransactionState.SagaNeedsAttention, Reason = "step 'hotel' failed: no rooms; stuck", Steps = [.. steps] };
        await _h.Log.SaveAsync(record, WriteDurability.Forced, CancellationToken.None);
        _airlineDown = false;

        var resumed = await manager.ResumeSagaAsync(record.Id, "found in the log", cts.Token);

        Assert.Equal(TransactionState.SagaCompensating, resumed.State);
        await _h.AdvanceUntilAsync(() => DurableStateIs(record.Id, TransactionState.SagaCompensated), TimeSpan.FromMilliseconds(10));
        Assert.Equal(["flight"], _h.Compensated());
    }

    [Fact]
    public async Task ResumeSaga_WhileTheResumeIsRunning_IsRejected_AndOneDriverCompensatesOnce()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var manager = CreateManager();
        var (handle, driver) = await ParkAsync(cts.Token);
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        _h.Compensate("flight", _ =>
        {
            Interlocked.Increment(ref calls);
            return release.Task;
        });

        await manager.ResumeSagaAsync(handle.Id, null, cts.Token);
        var second = await Assert.ThrowsAsync<TransactionStateConflictException>(() => manager.ResumeSagaAsync(handle.Id, null, cts.Token));
        _time.Advance(Interval + TimeSpan.FromMinutes(1)); // the cadence must not start a second round either
        await Task.Delay(100);
        release.SetResult(false);
        await _h.AdvanceUntilAsync(() => DurableStateIs(handle.Id, TransactionState.SagaCompensated), TimeSpan.FromMilliseconds(10));
        await driver.WaitAsync(cts.Token);

        Assert.Contains("not parked", second.Message);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task ResumeSaga_BadRequests_AreRejectedByKind()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var manager = CreateManager();
        var completed = await _h.RecordAsync(TransactionState.SagaCompleted, Trip());
        var twoPhase = await manager.BeginAsync(TransactionMode.TwoPhase, null, null, null, cts.Token);

        Assert.Equal("transaction_id", (await Assert.ThrowsAsync<InvalidRequestException>(() => manager.ResumeSagaAsync("", null, cts.Token))).Field);
        Assert.Equal("transaction_id", (await Assert.ThrowsAsync<InvalidRequestException>(() => manager.ResumeSagaAsync("not-an-id", null, cts.Token))).Field);
        Assert.Equal("reason", (await Assert.ThrowsAsync<InvalidRequestException>(() => manager.ResumeSagaAsync(completed.Id, new string('x', 1001), cts.Token))).Field);
        await Assert.ThrowsAsync<TransactionNotFoundException>(() => manager.ResumeSagaAsync(TransactionManager.NewId(), null, cts.Token));
        Assert.Contains("not parked", (await Assert.ThrowsAsync<TransactionStateConflictException>(() => manager.ResumeSagaAsync(completed.Id, null, cts.Token))).Message);
        Assert.Contains("not a saga", (await Assert.ThrowsAsync<TransactionStateConflictException>(() => manager.ResumeSagaAsync(twoPhase.Id, null, cts.Token))).Message);
    }

    [Fact]
    public async Task ParkedSaga_RetryThatThrows_IsLoggedAndRetriedAtTheNextInterval()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var throwOnce = 1;
        var faults = Substitute.For<IFaultInjector>();
        faults.HitAsync(FaultPoints.SagaCompensationRecorded, Arg.Any<string>(), Arg.Any<CancellationToken>()).Returns(_ =>
            !_airlineDown && Interlocked.Exchange(ref throwOnce, 0) == 1 ? ValueTask.FromException(new InjectedFaultException(FaultPoints.SagaCompensationRecorded)) : ValueTask.CompletedTask);
        var h = new SagaTestHarness(_time, o => o.ParkedSagaRetryInterval = Interval, faults);
        h.Execute("hotel", _ => Task.FromResult(new ExecuteReply(StepOutcome.Failed, [], "no rooms")));
        h.Compensate("flight", _ => _airlineDown ? Task.FromException<bool>(new ParticipantUnreachableException("airline down")) : Task.FromResult(false));
        var handle = await h.RecordAsync(TransactionState.SagaRunning, Trip());
        var driver = h.CreateSut().ResumeAsync(handle, cts.Token);
        await h.AdvanceUntilAsync(() => Task.FromResult(h.Log.GetDurable(handle.Id)?.State == TransactionState.SagaNeedsAttention), TimeSpan.FromMilliseconds(10));

        _airlineDown = false;
        await h.AdvanceUntilAsync(() => Task.FromResult(h.Log.GetDurable(handle.Id)?.State == TransactionState.SagaCompensated), TimeSpan.FromSeconds(1));
        await driver.WaitAsync(cts.Token);

        Assert.Equal(0, throwOnce); // the fault fired, and the saga still finished
    }
}
