using Microsoft.Extensions.Time.Testing;
using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Transactions;
using static TwoPC.Coordinator.Tests.Protocols.Saga.SagaTestHarness;

namespace TwoPC.Coordinator.Tests.Protocols.Saga;

/// <summary>
/// An optional step whose attempts ran out without an answer may have run. A saga that otherwise completes
/// compensates it (a null compensation if it never ran) or, when it cannot be undone, reports it as unknown.
/// </summary>
public sealed class OptionalStepOutcomeTests
{
    private readonly SagaTestHarness _h = new();

    /// <summary>The trip with a car step that answers nothing within its 50 ms timeout, twice.</summary>
    private SagaStepRecord[] TripWithSilentCar(bool compensable = true)
    {
        var steps = Trip();
        steps[3] = Step("car", 1, optional: true, compensable: compensable);
        steps[3].Timeout = TimeSpan.FromMilliseconds(50);
        steps[3].MaxAttempts = 2;
        _h.Execute("car", (_, ct) => NeverAnswers(ct));
        return steps;
    }

    [Fact]
    public async Task ResumeAsync_OptionalStepNeverAnswers_IsCompensatedBeforeTheSagaCompletes()
    {
        var end = await _h.RunToEndAsync(await _h.RecordAsync(TransactionState.SagaRunning, TripWithSilentCar()));

        Assert.Equal(TransactionState.SagaCompleted, end.State);
        Assert.Equal(2, _h.Executed().Count(s => s == "car"));
        Assert.Equal(["car"], _h.Compensated()); // only the unknown step; the required steps stay done
        Assert.Equal(BranchState.StepCompensated, end.Step("car").State);
        Assert.Contains("no answer", end.Step("car").LastError);
        Assert.Contains("optional step 'car'", end.Reason);
        Assert.Contains("compensated", end.Reason);
        Assert.All(end.Steps.Where(s => !s.Optional), s => Assert.Equal(BranchState.StepSucceeded, s.State));
    }

    [Fact]
    public async Task ResumeAsync_OptionalStepWithoutCompensationNeverAnswers_IsReportedUnknown()
    {
        var end = await _h.RunToEndAsync(await _h.RecordAsync(TransactionState.SagaRunning, TripWithSilentCar(compensable: false)));

        Assert.Equal(TransactionState.SagaCompleted, end.State);
        Assert.Empty(_h.Compensated());
        Assert.Equal(BranchState.StepOutcomeUnknown, end.Step("car").State);
        Assert.Contains("retries exhausted", end.Step("car").LastError);
        Assert.Contains("optional step 'car'", end.Reason);
        Assert.Contains("unknown", end.Reason);
    }

    [Fact]
    public async Task ResumeAsync_OptionalStepFailsDefinitively_IsNeitherCompensatedNorReported()
    {
        _h.Execute("car", _ => Task.FromResult(new ExecuteReply(StepOutcome.Failed, [], "no cars left")));

        var end = await _h.RunToEndAsync(await _h.RecordAsync(TransactionState.SagaRunning, Trip()));

        Assert.Equal(TransactionState.SagaCompleted, end.State);
        Assert.Equal(BranchState.StepFailed, end.Step("car").State);
        Assert.Null(end.Reason);
        Assert.Empty(_h.Compensated());
    }

    [Fact]
    public async Task ResumeAsync_SagaRollsBack_OptionalUnknownStepWithoutCompensation_IsReportedUnknown()
    {
        var steps = TripWithSilentCar(compensable: false);
        steps[3].Group = 0;
        _h.Execute("hotel", _ => Task.FromResult(new ExecuteReply(StepOutcome.Failed, [], "no rooms")));

        var end = await _h.RunToEndAsync(await _h.RecordAsync(TransactionState.SagaRunning, steps));

        Assert.Equal(TransactionState.SagaCompensated, end.State);
        Assert.Equal(BranchState.StepOutcomeUnknown, end.Step("car").State);
        Assert.StartsWith("step 'hotel' failed: no rooms", end.Reason);
        Assert.Contains("optional step 'car'", end.Reason);
    }

    [Fact]
    public async Task ResumeAsync_CompensationOfTheUnknownOptionalStepKeepsFailing_Parks_ThenCompletesWithoutUndoingRequiredSteps()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var h = new SagaTestHarness(time, o => o.ParkedSagaRetryInterval = TimeSpan.FromMinutes(5));
        var steps = Trip();
        steps[3].MaxAttempts = 2;
        var carDown = true;
        h.Execute("car", _ => Task.FromException<ExecuteReply>(new ParticipantUnreachableException("rental desk unreachable")));
        h.Compensate("car", _ => Volatile.Read(ref carDown) ? Task.FromException<bool>(new ParticipantUnreachableException("rental desk unreachable")) : Task.FromResult(true));
        var handle = await h.RecordAsync(TransactionState.SagaRunning, steps);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var driver = h.CreateSut().ResumeAsync(handle, cts.Token);

        await h.AdvanceUntilAsync(() => Task.FromResult(h.Log.GetDurable(handle.Id)?.State == TransactionState.SagaNeedsAttention), TimeSpan.FromMilliseconds(10));
        var parked = h.Durable(handle.Id);
        Volatile.Write(ref carDown, false);
        await h.AdvanceUntilAsync(() => Task.FromResult(h.Log.GetDurable(handle.Id)?.State == TransactionState.SagaCompleted), TimeSpan.FromSeconds(1));
        await driver.WaitAsync(cts.Token);

        Assert.Equal(BranchState.StepCompensationFailed, parked.Step("car").State);
        Assert.Contains("car", parked.Reason);
        var end = h.Durable(handle.Id);
        Assert.Equal(BranchState.StepCompensated, end.Step("car").State);
        Assert.All(end.Steps.Where(s => !s.Optional), s => Assert.Equal(BranchState.StepSucceeded, s.State));
        Assert.Equal(["car"], h.Compensated().Distinct());
    }
}
