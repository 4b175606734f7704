using Google.Protobuf;
using Grpc.Core;
using TwoPC.Protocol.V1;

namespace TwoPC.Coordinator.Tests.Protocols.Saga;

public sealed class RunSagaGrpcTests(SagaGrpcFixture fixture) : IClassFixture<SagaGrpcFixture>
{
    private static readonly DateTime Deadline = DateTime.UtcNow.AddMinutes(5);

    private SagaStep Step(string name, int group, bool optional = false, bool compensable = true, string payload = "go", string? address = null, string? resource = null)
    {
        var step = new SagaStep
        {
            Name = name,
            Group = group,
            Optional = optional,
            ParticipantAddress = address ?? fixture.ParticipantAddress,
            Resource = resource ?? name,
            ActionPayload = ByteString.CopyFromUtf8(payload),
        };
        if (compensable) step.CompensationPayload = ByteString.CopyFromUtf8("undo " + name);
        return step;
    }

    private RunSagaRequest Trip(string failing = "") => new()
    {
        Wait = true,
        Steps =
        {
            Step("leave", 0, payload: failing == "leave" ? "fail" : "go"),
            Step("flight", 0, payload: failing == "flight" ? "fail" : "go"),
            Step("hotel", 0, payload: failing == "hotel" ? "fail" : "go"),
            Step("car", 1, optional: true, payload: failing == "car" ? "fail" : "go"),
        },
    };

    private async Task<RpcException> InvalidAsync(RunSagaRequest request)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.RunSagaAsync(request, deadline: Deadline).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        return ex;
    }

    [Fact]
    public async Task RunSaga_TripAllSucceed_CompletesAndIsRecorded()
    {
        var response = await fixture.Client.RunSagaAsync(Trip(), deadline: Deadline);

        Assert.Equal(SagaOutcome.Completed, response.Outcome);
        Assert.All(response.Steps, s => Assert.Equal(BranchState.StepSucceeded, s.State));
        Assert.Equal("booked hotel", response.Steps.Single(s => s.Name == "hotel").Result.ToStringUtf8());
        Assert.Equal(["car", "flight", "hotel", "leave"], fixture.Participant.Steps("execute", response.TransactionId).Order());
        var info = await fixture.Client.GetTransactionAsync(new GetTransactionRequest { TransactionId = response.TransactionId }, deadline: Deadline);
        Assert.Equal(TransactionState.SagaCompleted, info.State);
        Assert.Equal(TransactionMode.Saga, info.Mode);
    }

    [Fact]
    public async Task RunSaga_HotelFails_CompensatesOverGrpc()
    {
        var response = await fixture.Client.RunSagaAsync(Trip(failing: "hotel"), deadline: Deadline);

        Assert.Equal(SagaOutcome.Compensated, response.Outcome);
        Assert.Contains("hotel said no", response.Reason);
        Assert.Equal(["flight", "leave"], fixture.Participant.Steps("compensate", response.TransactionId).Order());
        Assert.Equal(BranchState.StepSkipped, response.Steps.Single(s => s.Name == "car").State);
        Assert.DoesNotContain("car", fixture.Participant.Steps("execute", response.TransactionId));
    }

    [Fact]
    public async Task RunSaga_NoWait_ReturnsRunningThenEndsInTheLog()
    {
        var request = Trip();
        request.Wait = false;

        var response = await fixture.Client.RunSagaAsync(request, deadline: Deadline);

        Assert.Contains(response.Outcome, new[] { SagaOutcome.Running, SagaOutcome.Completed });
        var info = await PollAsync(response.TransactionId, TransactionState.SagaCompleted);
        Assert.Equal(4, info.Steps.Count);
    }

    [Fact]
    public async Task RunSaga_EmptySaga_InvalidArgument()
    {
        var ex = await InvalidAsync(new RunSagaRequest { Wait = true });
        Assert.Contains("at least one step", ex.Status.Detail);
    }

    [Fact]
    public async Task RunSaga_RequiredStepWithoutCompensation_InvalidArgumentNamingTheStep()
    {
        var request = new RunSagaRequest { Wait = true, Steps = { Step("order", 0), Step("payment", 1, compensable: false) } };
        var before = fixture.Participant.Calls.Count(c => c.Kind == "execute");

        var ex = await InvalidAsync(request);

        Assert.Contains("'payment'", ex.Status.Detail);
        Assert.Contains("compensation", ex.Status.Detail);
        Assert.Equal(before, fixture.Participant.Calls.Count(c => c.Kind == "execute")); // nothing ran
    }

    [Fact]
    public async Task RunSaga_DuplicateStepNames_InvalidArgumentNamingTheDuplicate()
    {
        var ex = await InvalidAsync(new RunSagaRequest { Wait = true, Steps = { Step("order", 0), Step("order", 1, resource: "payment") } });

        Assert.Contains("duplicate step name 'order'", ex.Status.Detail);
    }

    [Fact]
    public async Task RunSaga_ParticipantNobodyListensOn_UnavailableNamingTheAddress_AndNothingRuns()
    {
        const string nowhere = "http://127.0.0.1:1";
        var before = fixture.Participant.Calls.Count(c => c.Kind == "execute");
        var ex = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.RunSagaAsync(
            new RunSagaRequest { Wait = true, Steps = { Step("order", 0), Step("payment", 1, address: nowhere) } }, deadline: Deadline).ResponseAsync);

        // A participant that does not answer may be restarting: not bad input, but "nothing ran, retry".
        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Contains($"participant at {nowhere} did not answer Describe", ex.Status.Detail);
        Assert.Equal(before, fixture.Participant.Calls.Count(c => c.Kind == "execute"));
    }

    [Fact]
    public async Task RunSaga_HandlerNotHosted_InvalidArgumentNamingStepAndHandler()
    {
        var before = fixture.Participant.Calls.Count(c => c.Kind == "execute");

        var ex = await InvalidAsync(new RunSagaRequest { Wait = true, Steps = { Step("order", 0), Step("rocket", 1, resource: "spaceship") } });

        Assert.Contains("'rocket'", ex.Status.Detail);
        Assert.Contains("'spaceship'", ex.Status.Detail);
        Assert.Equal(before, fixture.Participant.Calls.Count(c => c.Kind == "execute")); // nothing ran
    }

    [Fact]
    public async Task RunSaga_Amend_LinksBothSagas()
    {
        var original = await fixture.Client.RunSagaAsync(Trip(), deadline: Deadline);
        var request = new RunSagaRequest { Wait = true, AmendsTransactionId = original.TransactionId, Steps = { Step("car", 0, optional: true) } };

        var amendment = await fixture.Client.RunSagaAsync(request, deadline: Deadline);

        var originalInfo = await fixture.Client.GetTransactionAsync(new GetTransactionRequest { TransactionId = original.TransactionId }, deadline: Deadline);
        var amendmentInfo = await fixture.Client.GetTransactionAsync(new GetTransactionRequest { TransactionId = amendment.TransactionId }, deadline: Deadline);
        Assert.Equal([amendment.TransactionId], originalInfo.AmendedBy);
        Assert.Equal(original.TransactionId, amendmentInfo.AmendsTransactionId);
        Assert.Equal(SagaOutcome.Completed, amendment.Outcome);
    }

    [Fact]
    public async Task RunSaga_AmendUnknownSaga_NotFound()
    {
        var request = new RunSagaRequest { Wait = true, AmendsTransactionId = Guid.CreateVersion7().ToString("N"), Steps = { Step("car", 0, optional: true) } };

        var ex = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.RunSagaAsync(request, deadline: Deadline).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    [Fact]
    public async Task RunSaga_SameIdempotencyKey_ReturnsTheSameSagaAndRunsItOnce()
    {
        var request = Trip();
        request.IdempotencyKey = "trip-" + Guid.NewGuid().ToString("N");

        var first = await fixture.Client.RunSagaAsync(request, deadline: Deadline);
        var second = await fixture.Client.RunSagaAsync(request, deadline: Deadline);

        Assert.Equal(first.TransactionId, second.TransactionId);
        Assert.Equal(SagaOutcome.Completed, second.Outcome);
        Assert.Equal(4, fixture.Participant.Steps("execute", first.TransactionId).Count);
    }

    [Fact]
    public async Task Begin_SagaMode_InvalidArgumentPointingToRunSaga()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.BeginAsync(new BeginRequest { Mode = TransactionMode.Saga }, deadline: Deadline).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("RunSaga", ex.Status.Detail);
    }

    private async Task<TransactionInfo> PollAsync(string id, TransactionState state)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var info = await fixture.Client.GetTransactionAsync(new GetTransactionRequest { TransactionId = id }, cancellationToken: timeout.Token);
            if (info.State == state) return info;
            await Task.Delay(10, timeout.Token);
        }
    }
}
