using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using TwoPC.Protocol.V1;

namespace TwoPC.Coordinator.Tests.Protocols.Saga;

/// <summary>The Admin service's ResumeSaga and the optional-step outcome, over real gRPC to a Kestrel coordinator.</summary>
public sealed class ResumeSagaGrpcTests(SagaGrpcFixture fixture) : IClassFixture<SagaGrpcFixture>
{
    private static readonly DateTime Deadline = DateTime.UtcNow.AddMinutes(5);

    private SagaStep Step(string name, int group, string resource, string payload = "go", bool optional = false, bool compensable = true)
    {
        var step = new SagaStep { Name = name, Group = group, Optional = optional, ParticipantAddress = fixture.ParticipantAddress, Resource = resource, ActionPayload = ByteString.CopyFromUtf8(payload) };
        if (compensable) step.CompensationPayload = ByteString.CopyFromUtf8("undo " + name);
        return step;
    }

    /// <summary>A refund (whose compensation fails while refunds are down), then a payment that fails: the saga parks.</summary>
    private async Task<RunSagaResponse> ParkAsync()
    {
        fixture.Participant.RefundsDown = true;
        var response = await fixture.Client.RunSagaAsync(new RunSagaRequest { Wait = true, Steps = { Step("refund", 0, "refund"), Step("payment", 1, "payment", payload: "fail") } }, deadline: Deadline);
        Assert.Equal(SagaOutcome.NeedsAttention, response.Outcome);
        return response;
    }

    private async Task<RpcException> FailsAsync(ResumeSagaRequest request, StatusCode code)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => fixture.Admin.ResumeSagaAsync(request, deadline: Deadline).ResponseAsync);
        Assert.Equal(code, ex.StatusCode);
        return ex;
    }

    [Fact]
    public async Task ResumeSaga_ParkedSaga_IsListed_ThenResumesWithAFreshBudget_AndEndsCompensated()
    {
        var parked = await ParkAsync();
        var listed = await fixture.Client.ListTransactionsAsync(new ListTransactionsRequest { States = { TransactionState.SagaNeedsAttention } }, deadline: Deadline);
        Assert.Contains(parked.TransactionId, listed.Transactions.Select(t => t.TransactionId));
        fixture.Participant.RefundsDown = false;

        var resumed = await fixture.Admin.ResumeSagaAsync(new ResumeSagaRequest { TransactionId = parked.TransactionId, Reason = "refund service is back" }, deadline: Deadline);

        Assert.Equal(parked.TransactionId, resumed.Transaction.TransactionId);
        Assert.Equal(TransactionState.SagaCompensating, resumed.Transaction.State);
        Assert.Equal(BranchState.StepCompensationFailed, resumed.Transaction.Steps.Single(s => s.Name == "refund").State);
        var end = await PollAsync(parked.TransactionId, TransactionState.SagaCompensated);
        Assert.Equal(BranchState.StepCompensated, end.Steps.Single(s => s.Name == "refund").State);
        Assert.Equal(1, end.Steps.Single(s => s.Name == "refund").CompensationAttempts);
        Assert.Equal("step 'payment' failed: payment said no", end.Reason);
    }

    [Fact]
    public async Task ResumeSaga_BadTransactionId_InvalidArgumentNamingTheField()
    {
        foreach (var id in new[] { "", "not-a-transaction-id" })
        {
            var ex = await FailsAsync(new ResumeSagaRequest { TransactionId = id }, StatusCode.InvalidArgument);
            Assert.Equal("transaction_id", ex.Trailers.GetValue("twopc-field"));
            Assert.Contains("transaction_id", ex.Status.Detail);
        }
    }

    [Fact]
    public async Task ResumeSaga_UnknownId_NotFound()
    {
        await FailsAsync(new ResumeSagaRequest { TransactionId = Guid.NewGuid().ToString("N") }, StatusCode.NotFound);
    }

    [Fact]
    public async Task ResumeSaga_SagaThatIsNotParked_OrATwoPhaseTransaction_FailedPrecondition()
    {
        var completed = await fixture.Client.RunSagaAsync(new RunSagaRequest { Wait = true, Steps = { Step("order", 0, "order") } }, deadline: Deadline);
        var twoPhase = await fixture.Client.BeginAsync(new BeginRequest { Mode = TransactionMode.TwoPhase, Timeout = Duration.FromTimeSpan(TimeSpan.FromMinutes(1)) }, deadline: Deadline);

        var notParked = await FailsAsync(new ResumeSagaRequest { TransactionId = completed.TransactionId }, StatusCode.FailedPrecondition);
        var notSaga = await FailsAsync(new ResumeSagaRequest { TransactionId = twoPhase.TransactionId }, StatusCode.FailedPrecondition);

        Assert.Contains("not parked", notParked.Status.Detail);
        Assert.Contains("not a saga", notSaga.Status.Detail);
    }

    [Fact]
    public async Task RunSaga_OptionalStepNeverAnswers_CompletesWithTheStepCompensated()
    {
        var car = Step("car", 1, "car", payload: "hang", optional: true);
        car.Timeout = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(200));
        car.Retry = new RetryPolicy { MaxAttempts = 2 };

        var response = await fixture.Client.RunSagaAsync(new RunSagaRequest { Wait = true, Steps = { Step("flight", 0, "flight"), car } }, deadline: Deadline);

        Assert.Equal(SagaOutcome.Completed, response.Outcome);
        Assert.Equal(BranchState.StepCompensated, response.Steps.Single(s => s.Name == "car").State);
        Assert.Equal(BranchState.StepSucceeded, response.Steps.Single(s => s.Name == "flight").State);
        Assert.Equal(["car"], fixture.Participant.Steps("compensate", response.TransactionId));
        Assert.Contains("optional step 'car'", response.Reason);
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
