using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Transactions;
using static TwoPC.Coordinator.Tests.Protocols.Saga.SagaTestHarness;

namespace TwoPC.Coordinator.Tests.Protocols.Saga;

public sealed class SagaProcessorTests
{
    private readonly SagaTestHarness _h = new();

    private static Task<ExecuteReply> Fails(string reason) => Task.FromResult(new ExecuteReply(StepOutcome.Failed, [], reason));

    [Fact]
    public async Task ResumeAsync_TripAllSucceed_CompletesDurablyWithResults()
    {
        var handle = await _h.RecordAsync(TransactionState.SagaRunning, Trip());

        var end = await _h.RunToEndAsync(handle);

        Assert.Equal(TransactionState.SagaCompleted, end.State);
        Assert.All(end.Steps, s => Assert.Equal(BranchState.StepSucceeded, s.State));
        Assert.Equal("ok:flight"u8.ToArray(), end.Step("flight").Result);
        Assert.Equal(["car", "flight", "hotel", "leave"], _h.Executed().Order());
        Assert.Equal("car", _h.Executed()[^1]); // group 1 after group 0
        Assert.Empty(_h.Compensated());
        Assert.False(_h.Engine.Table.TryGet(handle.Id, out _));
    }

    [Fact]
    public async Task ResumeAsync_StepsOfOneGroup_RunInParallel()
    {
        // Each group-0 action answers only once all three are in flight: a serial run would never get there.
        var inFlight = 0;
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var name in new[] { "leave", "flight", "hotel" })
        {
            _h.Execute(name, async _ =>
            {
                if (Interlocked.Increment(ref inFlight) == 3) allStarted.TrySetResult();
                await allStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
                return Succeeded(name);
            });
        }

        var end = await _h.RunToEndAsync(await _h.RecordAsync(TransactionState.SagaRunning, Trip()));

        Assert.Equal(TransactionState.SagaCompleted, end.State);
    }

    [Fact]
    public async Task ResumeAsync_HotelFails_CompensatesFlightAndLeaveAndSkipsCar()
    {
        _h.Execute("hotel", _ => Fails("no rooms"));

        var end = await _h.RunToEndAsync(await _h.RecordAsync(TransactionState.SagaRunning, Trip()));

        Assert.Equal(TransactionState.SagaCompensated, end.State);
        Assert.Contains("hotel", end.Reason);
        Assert.Contains("no rooms", end.Reason);
        Assert.Equal(BranchState.StepCompensated, end.Step("leave").State);
        Assert.Equal(BranchState.StepCompensated, end.Step("flight").State);
        Assert.Equal(BranchState.StepFailed, end.Step("hotel").State);
        Assert.Equal(BranchState.StepSkipped, end.Step("car").State);
        Assert.DoesNotContain("car", _h.Executed());
        Assert.Single(_h.Executed(), "hotel"); // a business failure is not retried
        Assert.Equal(["flight", "leave"], _h.Compensated().Order()); // a definitive failure changed nothing
    }

    [Fact]
    public async Task ResumeAsync_OptionalCarFails_CompletesWithoutCar()
    {
        _h.Execute("car", _ => Fails("no cars left"));

        var end = await _h.RunToEndAsync(await _h.RecordAsync(TransactionState.SagaRunning, Trip()));

        Assert.Equal(TransactionState.SagaCompleted, end.State);
        Assert.Equal(BranchState.StepFailed, end.Step("car").State);
        Assert.Equal("no cars left", end.Step("car").LastError);
        Assert.All(end.Steps.Where(s => s.Name != "car"), s => Assert.Equal(BranchState.StepSucceeded, s.State));
        Assert.Empty(_h.Compensated());
    }

    [Fact]
    public async Task ResumeAsync_PaymentFails_CompensatesOrderAndSkipsShipping()
    {
        _h.Execute("payment", _ => Fails("card declined"));

        var end = await _h.RunToEndAsync(await _h.RecordAsync(TransactionState.SagaRunning, Shopping()));

        Assert.Equal(TransactionState.SagaCompensated, end.State);
        Assert.Equal(["order", "payment"], _h.Executed());
        Assert.Equal(["order"], _h.Compensated());
        Assert.Equal(BranchState.StepCompensated, end.Step("order").State);
        Assert.Equal(BranchState.StepSkipped, end.Step("shipping").State);
        Assert.Contains("payment", end.Reason);
    }

    [Fact]
    public async Task ResumeAsync_LastStepFails_CompensatesInReverseOrder()
    {
        _h.Execute("shipping", _ => Fails("no courier"));

        var end = await _h.RunToEndAsync(await _h.RecordAsync(TransactionState.SagaRunning, Shopping()));

        Assert.Equal(TransactionState.SagaCompensated, end.State);
        Assert.Equal(["payment", "order"], _h.Compensated());
    }

    [Fact]
    public async Task ResumeAsync_TransientErrors_RetriedThenSucceed()
    {
        _h.Execute("flight", attempt => attempt < 3
            ? Task.FromException<ExecuteReply>(new ParticipantUnreachableException("connection reset"))
            : Task.FromResult(Succeeded("flight")));

        var end = await _h.RunToEndAsync(await _h.RecordAsync(TransactionState.SagaRunning, Trip()));

        Assert.Equal(TransactionState.SagaCompleted, end.State);
        Assert.Equal(3, end.Step("flight").Attempts);
        Assert.Equal([1, 2, 3], _h.Calls.Where(c => c.Step == "flight").Select(c => c.Attempt));
        Assert.Null(end.Step("flight").LastError);
    }

    [Fact]
    public async Task ResumeAsync_RetriesExhausted_FailsStepAndCompensatesIncludingTheUnknownOne()
    {
        _h.Execute("hotel", _ => Task.FromException<ExecuteReply>(new ParticipantUnreachableException("timeout talking to hotel")));

        var end = await _h.RunToEndAsync(await _h.RecordAsync(TransactionState.SagaRunning, Trip()));

        Assert.Equal(TransactionState.SagaCompensated, end.State);
        Assert.Equal(3, _h.Executed().Count(s => s == "hotel"));
        Assert.Contains("retries exhausted", end.Reason);
        Assert.Contains("timeout talking to hotel", end.Reason);
        // The hotel may have booked without answering: it is compensated too (null compensation if it never ran).
        Assert.Equal(["flight", "hotel", "leave"], _h.Compensated().Order());
        Assert.Equal(BranchState.StepCompensated, end.Step("hotel").State);
    }

    [Fact]
    public async Task ResumeAsync_ParticipantRejectsAction_FailsAtOnceWithoutRetry()
    {
        _h.Execute("order", _ => Task.FromException<ExecuteReply>(new ParticipantRejectedException("unknown handler")));

        var end = await _h.RunToEndAsync(await _h.RecordAsync(TransactionState.SagaRunning, Shopping()));

        Assert.Equal(TransactionState.SagaCompensated, end.State);
        Assert.Equal(["order"], _h.Executed());
        Assert.Empty(_h.Compensated());
        Assert.Contains("unknown handler", end.Step("order").LastError);
    }

    [Fact]
    public async Task ResumeAsync_CompensationKeepsFailing_ParksAsNeedsAttentionAfterLimit()
    {
        _h.Execute("hotel", _ => Fails("no rooms"));
        _h.Compensate("flight", _ => Task.FromException<bool>(new ParticipantUnreachableException("airline down")));

        var end = await _h.RunToEndAsync(await _h.RecordAsync(TransactionState.SagaRunning, Trip()));

        Assert.Equal(TransactionState.SagaNeedsAttention, end.State);
        var flight = end.Step("flight");
        Assert.Equal(BranchState.StepCompensationFailed, flight.State);
        Assert.Equal(CompensationLimit, flight.CompensationAttempts);
        Assert.Contains("airline down", flight.LastError);
        Assert.Contains("flight", end.Reason);
        Assert.Equal(CompensationLimit, _h.Compensated().Count(s => s == "flight")); // no hammering past the limit
    }

    [Fact]
    public async Task ResumeAsync_CompensationFailsInLaterGroup_DoesNotCompensateEarlierGroups()
    {
        _h.Execute("shipping", _ => Fails("no courier"));
        _h.Compensate("payment", _ => Task.FromException<bool>(new ParticipantRejectedException("refund refused")));

        var end = await _h.RunToEndAsync(await _h.RecordAsync(TransactionState.SagaRunning, Shopping()));

        Assert.Equal(TransactionState.SagaNeedsAttention, end.State);
        Assert.DoesNotContain("order", _h.Compensated());
        Assert.Equal(BranchState.StepSucceeded, end.Step("order").State);
    }

    [Fact]
    public async Task ResumeAsync_AfterCrashWithStepRunning_ResendsThatExecuteOnce()
    {
        var steps = Trip();
        steps[0].State = BranchState.StepSucceeded; // leave
        steps[1].State = BranchState.StepRunning;   // flight: sent, no answer recorded
        steps[1].Attempts = 1;
        var handle = await _h.RecordAsync(TransactionState.SagaRunning, steps);

        var end = await _h.RunToEndAsync(handle);

        Assert.Equal(TransactionState.SagaCompleted, end.State);
        Assert.Equal([("execute", "flight", 1)], _h.Calls.Where(c => c.Step == "flight"));
        Assert.DoesNotContain("leave", _h.Executed());
        Assert.Contains("hotel", _h.Executed());
    }

    [Fact]
    public async Task ResumeAsync_WhileCompensating_ContinuesBackwardOnly()
    {
        var steps = Trip();
        steps[0].State = BranchState.StepSucceeded;    // leave
        steps[1].State = BranchState.StepCompensating; // flight: compensation sent, unanswered
        steps[1].CompensationAttempts = 1;
        steps[2].State = BranchState.StepFailed;       // hotel
        steps[3].State = BranchState.StepSkipped;      // car
        var handle = await _h.RecordAsync(TransactionState.SagaCompensating, steps);
        handle.Record.Reason = "step 'hotel' failed: no rooms";

        var end = await _h.RunToEndAsync(handle);

        Assert.Equal(TransactionState.SagaCompensated, end.State);
        Assert.Empty(_h.Executed());
        Assert.Equal(["flight", "leave"], _h.Compensated().Order());
        Assert.Equal(BranchState.StepCompensated, end.Step("flight").State);
        Assert.Equal(BranchState.StepSkipped, end.Step("car").State);
    }

    [Fact]
    public async Task ResumeAsync_RunningWithRequiredFailure_GoesBackwardAndCompensatesTheUnknownStep()
    {
        // Crash after hotel's failure was recorded while flight's answer was still outstanding.
        var steps = Trip();
        steps[0].State = BranchState.StepSucceeded;
        steps[1].State = BranchState.StepRunning;
        steps[1].Attempts = 1;
        steps[2].State = BranchState.StepFailed;
        steps[2].LastError = "no rooms";
        var handle = await _h.RecordAsync(TransactionState.SagaRunning, steps);

        var end = await _h.RunToEndAsync(handle);

        Assert.Equal(TransactionState.SagaCompensated, end.State);
        Assert.Empty(_h.Executed());
        Assert.Equal(["flight", "leave"], _h.Compensated().Order());
        Assert.Equal(BranchState.StepSkipped, end.Step("car").State);
    }

    [Fact]
    public async Task ResumeAsync_WriteAhead_StepRunningIsOnDiskWhenExecuteIsSent()
    {
        _h.Execute("payment", _ => Fails("card declined"));
        var handle = await _h.RecordAsync(TransactionState.SagaRunning, Shopping());
        var seen = new List<(string Step, BranchState State, int Attempts)>();
        _h.OnExecute = (step, attempt) =>
        {
            _h.Log.Crash(); // only what reached the disk survives
            var s = _h.Log.GetAsync(handle.Id, CancellationToken.None).Result!.Step(step);
            lock (seen) seen.Add((step, s.State, s.Attempts));
        };
        var compensating = new List<(TransactionState Saga, BranchState Step)>();
        _h.OnCompensate = (step, _) =>
        {
            _h.Log.Crash();
            var r = _h.Log.GetAsync(handle.Id, CancellationToken.None).Result!;
            lock (compensating) compensating.Add((r.State, r.Step(step).State));
        };

        await _h.RunToEndAsync(handle);

        Assert.Equal([("order", BranchState.StepRunning, 1), ("payment", BranchState.StepRunning, 1)], seen);
        Assert.Equal([(TransactionState.SagaCompensating, BranchState.StepCompensating)], compensating);
    }

    [Fact]
    public async Task ResumeAsync_WriteAhead_ResultOnDiskBeforeNextGroupStarts()
    {
        var handle = await _h.RecordAsync(TransactionState.SagaRunning, Shopping());
        BranchState? orderWhenPaymentSent = null;
        _h.OnExecute = (step, _) =>
        {
            if (step != "payment") return;
            _h.Log.Crash();
            orderWhenPaymentSent = _h.Log.GetAsync(handle.Id, CancellationToken.None).Result!.Step("order").State;
        };

        await _h.RunToEndAsync(handle);

        Assert.Equal(BranchState.StepSucceeded, orderWhenPaymentSent);
    }

    [Fact]
    public async Task ResumeAsync_LogWriteFails_RetriesTheWriteBeforeSendingExecute()
    {
        var handle = await _h.RecordAsync(TransactionState.SagaRunning, Shopping());
        var failures = 0;
        _h.Log.FailBeforeWrite = r => r.Steps[0].State == BranchState.StepRunning && Interlocked.Increment(ref failures) <= 2;
        BranchState? onDisk = null;
        _h.OnExecute = (step, _) =>
        {
            if (step != "order") return;
            _h.Log.Crash();
            onDisk = _h.Log.GetAsync(handle.Id, CancellationToken.None).Result!.Step("order").State;
        };

        var end = await _h.RunToEndAsync(handle);

        Assert.Equal(TransactionState.SagaCompleted, end.State);
        Assert.True(failures >= 3);
        Assert.Equal(BranchState.StepRunning, onDisk);
        Assert.Equal(["order", "payment", "shipping"], _h.Executed());
    }
}
