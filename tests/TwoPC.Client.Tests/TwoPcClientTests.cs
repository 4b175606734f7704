using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using TwoPC.Client;
using TwoPC.Client.Tests.Infrastructure;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Client.Tests;

public sealed class TwoPcClientTests : IAsyncLifetime
{
    private StubCoordinator _coordinator = null!;
    private TwoPcClient _client = null!;

    public async Task InitializeAsync()
    {
        _coordinator = await StubCoordinator.StartAsync();
        _client = new TwoPcClient(new TwoPcClientOptions { CoordinatorAddress = _coordinator.Address });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _coordinator.DisposeAsync();
    }

    private static RpcException Status(StatusCode code) => new(new Status(code, "stub says " + code));

    [Fact]
    public async Task BeginEnlistCommit_SendsRequestsAndMapsTheOutcome()
    {
        _coordinator.OnBegin = _ => new P.BeginResponse { TransactionId = "tx-42", Deadline = Timestamp.FromDateTime(new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc)) };
        _coordinator.OnEnlist = _ => new P.EnlistResponse { BranchId = 3 };
        _coordinator.OnCommit = _ => new P.CommitResponse { Outcome = P.Outcome.Aborted, Reason = "branch 3 voted ABORT", State = P.TransactionState.Aborting };

        var tx = await _client.BeginAsync(TimeSpan.FromSeconds(5), "key-1");
        var branch = await tx.EnlistAsync(new Uri("http://127.0.0.1:5001"), "accounts", new byte[] { 1, 2 });
        var outcome = await tx.CommitAsync(waitForCompletion: true);

        Assert.Equal("tx-42", tx.Id);
        Assert.Equal(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), tx.Deadline);
        Assert.Equal(3, branch);
        Assert.Equal(TransactionOutcomeKind.Aborted, outcome.Kind);
        Assert.Equal("branch 3 voted ABORT", outcome.Reason);
        Assert.Equal(TransactionState.Aborting, outcome.State);

        var begin = (P.BeginRequest)_coordinator.Received.Single(r => r.Method == "Begin").Request;
        Assert.Equal(P.TransactionMode.TwoPhase, begin.Mode);
        Assert.Equal(TimeSpan.FromSeconds(5), begin.Timeout.ToTimeSpan());
        Assert.Equal("key-1", begin.IdempotencyKey);
        var enlist = (P.EnlistRequest)_coordinator.Received.Single(r => r.Method == "Enlist").Request;
        Assert.Equal(("tx-42", "http://127.0.0.1:5001/", "accounts"), (enlist.TransactionId, enlist.ParticipantAddress, enlist.Resource));
        Assert.Equal(new byte[] { 1, 2 }, enlist.Payload.ToByteArray());
        Assert.True(((P.CommitRequest)_coordinator.Received.Single(r => r.Method == "Commit").Request).WaitForCompletion);
    }

    [Fact]
    public async Task BeginWithBranches_SendsThemInTheBegin()
    {
        _coordinator.OnBegin = _ => new P.BeginResponse { TransactionId = "tx-43", BranchIds = { 1, 2 } };

        var tx = await _client.BeginAsync([new Enlistment(new Uri("http://127.0.0.1:5001"), "a", new byte[] { 1 }), new Enlistment(new Uri("http://127.0.0.1:5002"), "b", new byte[] { 2 }, "k2")]);

        Assert.Equal("tx-43", tx.Id);
        var begin = (P.BeginRequest)_coordinator.Received.Single(r => r.Method == "Begin").Request;
        Assert.Equal(P.TransactionMode.TwoPhase, begin.Mode);
        Assert.Equal(["a", "b"], begin.Branches.Select(b => b.Resource));
        Assert.Equal(("http://127.0.0.1:5002/", "k2", ""), (begin.Branches[1].ParticipantAddress, begin.Branches[1].BranchKey, begin.Branches[1].TransactionId));
        Assert.Equal(new byte[] { 1 }, begin.Branches[0].Payload.ToByteArray());
        Assert.DoesNotContain(_coordinator.Received, r => r.Method == "Enlist");
    }

    [Theory]
    [InlineData(StatusCode.Unavailable)]
    [InlineData(StatusCode.DeadlineExceeded)]
    [InlineData(StatusCode.Internal)]
    public async Task Commit_TransportFailure_IsInDoubt(StatusCode code)
    {
        _coordinator.OnCommit = _ => throw Status(code);
        var tx = await _client.BeginAsync();
        var error = await Assert.ThrowsAsync<TransactionInDoubtException>(() => tx.CommitAsync());
        Assert.Equal(tx.Id, error.TransactionId);
    }

    [Fact]
    public async Task RunSaga_CoordinatorSaysRetryLater_IsRetryLater_NotInDoubt()
    {
        _coordinator.OnRunSaga = _ => throw new RpcException(new Status(StatusCode.Unavailable, "participant did not answer Describe; nothing ran"),
            new Metadata { { "twopc-error", "retry-later" } });

        var error = await Assert.ThrowsAsync<TransactionRetryLaterException>(() =>
            _client.Saga().Step("flight", new Uri("http://127.0.0.1:5001"), "reserve", new byte[] { 1 }, new byte[] { 2 }).RunAsync());
        Assert.Contains("nothing ran", error.Message);
    }

    [Fact]
    public async Task RunSaga_TransportUnavailable_IsInDoubt()
    {
        _coordinator.OnRunSaga = _ => throw Status(StatusCode.Unavailable);

        await Assert.ThrowsAsync<TransactionInDoubtException>(() =>
            _client.Saga().Step("flight", new Uri("http://127.0.0.1:5001"), "reserve", new byte[] { 1 }, new byte[] { 2 }).RunAsync());
    }

    [Fact]
    public async Task Commit_UnknownTransactionWithTwoBranches_IsDefinitelyAborted()
    {
        _coordinator.OnCommit = _ => throw Status(StatusCode.NotFound);
        var tx = await _client.BeginAsync();
        await tx.EnlistAsync(new Uri("http://127.0.0.1:7001"), "a", new byte[] { 1 });
        await tx.EnlistAsync(new Uri("http://127.0.0.1:7002"), "b", new byte[] { 2 });
        await Assert.ThrowsAsync<TransactionAbortedException>(() => tx.CommitAsync());
    }

    [Fact]
    public async Task Commit_UnknownSingleBranchTransaction_IsInDoubt_BecauseItMayHaveCommittedInOnePhase()
    {
        _coordinator.OnCommit = _ => throw Status(StatusCode.NotFound);
        var tx = await _client.BeginAsync();
        await tx.EnlistAsync(new Uri("http://127.0.0.1:7001"), "a", new byte[] { 1 });
        await Assert.ThrowsAsync<TransactionInDoubtException>(() => tx.CommitAsync());
    }

    [Fact]
    public async Task Abort_UnknownSingleBranchTransaction_IsInDoubt_BecauseItMayHaveCommittedInOnePhase()
    {
        _coordinator.OnAbort = _ => throw Status(StatusCode.NotFound);
        var tx = await _client.BeginAsync();
        await tx.EnlistAsync(new Uri("http://127.0.0.1:7001"), "a", new byte[] { 1 });

        var error = await Assert.ThrowsAsync<TransactionInDoubtException>(() => tx.AbortAsync("changed my mind"));

        Assert.Equal(tx.Id, error.TransactionId);
        Assert.Contains("one phase", error.Message);
    }

    [Fact]
    public async Task Abort_UnknownTransactionWithTwoBranches_IsPresumedAborted()
    {
        _coordinator.OnAbort = _ => throw Status(StatusCode.NotFound);
        var tx = await _client.BeginAsync();
        await tx.EnlistAsync(new Uri("http://127.0.0.1:7001"), "a", new byte[] { 1 });
        await tx.EnlistAsync(new Uri("http://127.0.0.1:7002"), "b", new byte[] { 2 });

        var outcome = await tx.AbortAsync();

        Assert.Equal(TransactionOutcomeKind.Aborted, outcome.Kind);
    }

    [Fact]
    public async Task Begin_CoordinatorUnavailable_RetryLater()
    {
        _coordinator.OnBegin = _ => throw Status(StatusCode.Unavailable);
        await Assert.ThrowsAsync<TransactionRetryLaterException>(() => _client.BeginAsync());
    }

    [Fact]
    public async Task Commit_CoordinatorRefusesTheConnection_IsRetryLater_BecauseNoRequestReachedIt()
    {
        // Connection refused proves the Commit was never sent, so nothing can have been decided; a reply lost after
        // the request was sent stays in doubt (Commit_TransportFailure_IsInDoubt).
        using var client = new TwoPcClient(new TwoPcClientOptions { CoordinatorAddress = new Uri("http://127.0.0.1:1") });
        await Assert.ThrowsAsync<TransactionRetryLaterException>(() => client.Attach("tx-1").CommitAsync());
        await Assert.ThrowsAsync<TransactionRetryLaterException>(() => client.BeginAsync());
    }

    [Fact]
    public async Task GetTransaction_MapsStatus()
    {
        _coordinator.OnGetTransaction = r => new P.TransactionInfo
        {
            TransactionId = r.TransactionId,
            Mode = P.TransactionMode.TwoPhase,
            State = P.TransactionState.Committed,
            Outcome = P.Outcome.Committed,
            Branches = { new P.BranchInfo { BranchId = 1, Resource = "accounts", State = P.BranchState.Committed, Vote = P.Vote.Prepared, Attempts = 2 } },
        };

        var status = await _client.GetTransactionAsync("tx-9");

        Assert.Equal(("tx-9", TransactionState.Committed, TransactionOutcomeKind.Committed), (status.TransactionId, status.State, status.Outcome));
        var branch = Assert.Single(status.Branches);
        Assert.Equal((BranchState.Committed, Vote.Prepared, 2), (branch.State, branch.Vote, branch.Attempts));
        Assert.False(((P.GetTransactionRequest)_coordinator.Received.Single().Request).ResolveInDoubt);
    }

    [Fact]
    public async Task SagaStart_SendsWaitFalse_AndReturnsTheRunningSaga()
    {
        _coordinator.OnRunSaga = _ => new P.RunSagaResponse { TransactionId = "saga-8", Outcome = P.SagaOutcome.Running };

        var started = await _client.Saga().Step("flight", new Uri("http://127.0.0.1:5001"), "reserve", new byte[] { 1 }, new byte[] { 2 }).StartAsync();

        Assert.Equal(("saga-8", SagaOutcome.Running), (started.TransactionId, started.Outcome));
        Assert.False(((P.RunSagaRequest)_coordinator.Received.Single().Request).Wait);
    }

    [Fact]
    public async Task Saga_BuildsGroupsAndOptions_AndMapsTheResult()
    {
        _coordinator.OnRunSaga = _ => new P.RunSagaResponse
        {
            TransactionId = "saga-7",
            Outcome = P.SagaOutcome.Compensated,
            Reason = "hotel failed",
            Steps = { new P.SagaStepInfo { Name = "hotel", Resource = "reserve", State = P.BranchState.StepFailed, Attempts = 3, LastError = "full", Result = ByteString.CopyFrom(9) } },
        };
        var p = new Uri("http://127.0.0.1:5001");

        var result = await _client.Saga()
            .Step("flight", p, "reserve", new byte[] { 1 }, new byte[] { 2 }, s => s.Retry(5, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(1)).Timeout(TimeSpan.FromSeconds(2)))
            .Parallel(g => g.Step("hotel", p, "reserve", new byte[] { 3 }, new byte[] { 4 }).Step("mail", p, "notify", new byte[] { 5 }, configure: s => s.Optional()))
            .Step("pay", p, "charge", new byte[] { 6 }, new byte[] { 7 })
            .IdempotencyKey("trip-1")
            .Amends("saga-1")
            .RunAsync();

        Assert.Equal(("saga-7", SagaOutcome.Compensated, "hotel failed"), (result.TransactionId, result.Outcome, result.Reason));
        var step = Assert.Single(result.Steps);
        Assert.Equal(("hotel", BranchState.StepFailed, 3, "full"), (step.Name, step.State, step.Attempts, step.Error));
        Assert.Equal(new byte[] { 9 }, step.Output.ToArray());
        Assert.Equal("reserve", step.Resource);

        var sent = (P.RunSagaRequest)_coordinator.Received.Single().Request;
        Assert.True(sent.Wait);
        Assert.Equal(["reserve", "reserve", "notify", "charge"], sent.Steps.Select(s => s.Resource));
        Assert.Equal(("trip-1", "saga-1"), (sent.IdempotencyKey, sent.AmendsTransactionId));
        Assert.Equal(new[] { 1, 2, 2, 3 }, sent.Steps.Select(s => s.Group));
        Assert.Equal(5, sent.Steps[0].Retry.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(2), sent.Steps[0].Timeout.ToTimeSpan());
        Assert.True(sent.Steps[2].Optional);
        Assert.False(sent.Steps[2].HasCompensationPayload);
        Assert.Equal(new byte[] { 4 }, sent.Steps[1].CompensationPayload.ToByteArray());
    }
}
