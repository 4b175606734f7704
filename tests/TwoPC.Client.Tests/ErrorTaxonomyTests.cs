using Grpc.Core;
using TwoPC.Client.Tests.Infrastructure;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Client.Tests;

/// <summary>Every status the coordinator can answer becomes one of the client's documented exceptions, with its text.</summary>
public sealed class ErrorTaxonomyTests : IAsyncLifetime
{
    private static readonly Uri Participant = new("http://127.0.0.1:5001");
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

    [Theory]
    [InlineData(StatusCode.InvalidArgument, typeof(TwoPcInvalidRequestException))]
    [InlineData(StatusCode.OutOfRange, typeof(TwoPcInvalidRequestException))]
    [InlineData(StatusCode.PermissionDenied, typeof(TwoPcInvalidRequestException))]
    [InlineData(StatusCode.Unauthenticated, typeof(TwoPcInvalidRequestException))]
    [InlineData(StatusCode.Unimplemented, typeof(TwoPcInvalidRequestException))]
    [InlineData(StatusCode.NotFound, typeof(TransactionNotFoundException))]
    [InlineData(StatusCode.FailedPrecondition, typeof(TransactionConflictException))]
    [InlineData(StatusCode.AlreadyExists, typeof(TransactionConflictException))]
    [InlineData(StatusCode.Aborted, typeof(TransactionAbortedException))]
    [InlineData(StatusCode.ResourceExhausted, typeof(TransactionRetryLaterException))]
    [InlineData(StatusCode.Unavailable, typeof(TransactionRetryLaterException))]
    [InlineData(StatusCode.Internal, typeof(TransactionRetryLaterException))]
    public async Task GetTransaction_EachStatus_IsOneOfTheDocumentedExceptions_WithTheCoordinatorsText(StatusCode code, Type expected)
    {
        _coordinator.OnGetTransaction = _ => throw new RpcException(new Status(code, "the coordinator's own words"));

        var error = await Assert.ThrowsAnyAsync<TwoPcTransactionException>(() => _client.GetTransactionAsync("tx-1"));

        Assert.IsType(expected, error);
        Assert.Contains("the coordinator's own words", error.Message);
        Assert.Equal(code, Assert.IsType<RpcException>(error.InnerException).StatusCode);
    }

    [Fact]
    public async Task Enlist_FailedPrecondition_IsAConflict()
    {
        _coordinator.OnEnlist = _ => throw new RpcException(new Status(StatusCode.FailedPrecondition, "transaction is Committing; branches can only enlist while it is Active"));
        var tx = await _client.BeginAsync();

        var error = await Assert.ThrowsAsync<TransactionConflictException>(() => tx.EnlistAsync(Participant, "accounts", new byte[] { 1 }));

        Assert.Equal(tx.Id, error.TransactionId);
        Assert.Contains("only enlist while it is Active", error.Message);
    }

    [Fact]
    public async Task Abort_OfACommittedTransaction_IsAConflict()
    {
        _coordinator.OnAbort = _ => throw new RpcException(new Status(StatusCode.FailedPrecondition, "transaction is already committed; it cannot be aborted"));
        var tx = await _client.BeginAsync();

        await Assert.ThrowsAsync<TransactionConflictException>(() => tx.AbortAsync());
    }

    [Fact]
    public async Task GetTransaction_LogMismatch_IsInDoubt()
    {
        _coordinator.OnGetTransaction = _ => throw new RpcException(new Status(StatusCode.FailedPrecondition, "log mismatch"), new Metadata { { "twopc-error", "log-mismatch" } });

        await Assert.ThrowsAsync<TransactionInDoubtException>(() => _client.GetTransactionAsync("tx-1"));
    }

    [Fact]
    public async Task InvalidArgument_NamesTheFieldFromTheTrailer()
    {
        _coordinator.OnBegin = _ => throw new RpcException(new Status(StatusCode.InvalidArgument, "branches[1].resource: is required"),
            new Metadata { { "twopc-error", "invalid" }, { "twopc-field", "branches[1].resource" } });

        var error = await Assert.ThrowsAsync<TwoPcInvalidRequestException>(() => _client.BeginAsync());

        Assert.Equal("branches[1].resource", error.Field);
        Assert.Contains("is required", error.Message);
    }

    [Fact]
    public async Task InvalidArgument_WithoutTrailer_NamesTheFieldFromTheMessage()
    {
        _coordinator.OnBegin = _ => throw new RpcException(new Status(StatusCode.InvalidArgument, "steps[2].retry.max_attempts: step 'x': must be between 0 (default) and 100"));

        var error = await Assert.ThrowsAsync<TwoPcInvalidRequestException>(() => _client.BeginAsync());

        Assert.Equal("steps[2].retry.max_attempts", error.Field);
    }

    [Fact]
    public async Task Enlist_ResourceLongerThan200_IsRefusedByTheClient_NamingTheField()
    {
        var tx = await _client.BeginAsync();

        var error = await Assert.ThrowsAsync<TwoPcInvalidRequestException>(() => tx.EnlistAsync(Participant, new string('r', 201), new byte[] { 1 }));

        Assert.Equal("resource", error.Field);
        Assert.Contains("200", error.Message);
        Assert.Equal(0, _coordinator.Count("Enlist"));
    }

    [Fact]
    public async Task Enlist_BlankResource_RelativeAddress_LongBranchKey_AreRefusedByTheClient_NamingTheField()
    {
        var tx = await _client.BeginAsync();

        Assert.Equal("resource", (await Assert.ThrowsAsync<TwoPcInvalidRequestException>(() => tx.EnlistAsync(Participant, " ", new byte[] { 1 }))).Field);
        Assert.Equal("participant_address", (await Assert.ThrowsAsync<TwoPcInvalidRequestException>(() =>
            tx.EnlistAsync(new Uri("/p", UriKind.Relative), "accounts", new byte[] { 1 }))).Field);
        Assert.Equal("participant_address", (await Assert.ThrowsAsync<TwoPcInvalidRequestException>(() =>
            tx.EnlistAsync(new Uri("ftp://127.0.0.1/p"), "accounts", new byte[] { 1 }))).Field);
        Assert.Equal("branch_key", (await Assert.ThrowsAsync<TwoPcInvalidRequestException>(() =>
            tx.EnlistAsync(Participant, "accounts", new byte[] { 1 }, new string('k', 129)))).Field);
        Assert.Equal(0, _coordinator.Count("Enlist"));
    }

    [Fact]
    public async Task Begin_IdempotencyKeyLongerThan128_AndInvalidBranches_AreRefusedByTheClient_NamingTheField()
    {
        Assert.Equal("idempotency_key", (await Assert.ThrowsAsync<TwoPcInvalidRequestException>(() => _client.BeginAsync(idempotencyKey: new string('k', 129)))).Field);
        Assert.Equal("branches[1].resource", (await Assert.ThrowsAsync<TwoPcInvalidRequestException>(() =>
            _client.BeginAsync([new Enlistment(Participant, "a", new byte[] { 1 }), new Enlistment(Participant, "", new byte[] { 2 })]))).Field);
        Assert.Equal(0, _coordinator.Count("Begin"));
    }

    [Fact]
    public void AttachOrGet_BlankOrTooLongId_IsRefused_NamingTheField()
    {
        Assert.Equal("transaction_id", Assert.Throws<TwoPcInvalidRequestException>(() => _client.Attach("")).Field);
        Assert.Equal("transaction_id", Assert.Throws<TwoPcInvalidRequestException>(() => _client.Attach(new string('a', 201))).Field);
    }

    [Fact]
    public async Task Saga_WithoutSteps_DuplicateNames_AndBadOptions_AreRefusedByTheClient_NamingTheField()
    {
        Assert.Equal("steps", (await Assert.ThrowsAsync<TwoPcInvalidRequestException>(() => _client.Saga().RunAsync())).Field);
        Assert.Equal("steps", (await Assert.ThrowsAsync<TwoPcInvalidRequestException>(() => _client.Saga().StartAsync())).Field);
        Assert.Equal("steps", Assert.Throws<TwoPcInvalidRequestException>(() => _client.Saga().Parallel(_ => { })).Field);
        Assert.Equal("steps[1].name", Assert.Throws<TwoPcInvalidRequestException>(() => _client.Saga()
            .Step("flight", Participant, "flight", new byte[] { 1 }, new byte[] { 2 })
            .Step("flight", Participant, "hotel", new byte[] { 1 }, new byte[] { 2 })).Field);
        Assert.Equal("steps[0].name", Assert.Throws<TwoPcInvalidRequestException>(() => _client.Saga()
            .Step(new string('n', 201), Participant, "flight", new byte[] { 1 }, new byte[] { 2 })).Field);
        Assert.Equal("steps[0].resource", Assert.Throws<TwoPcInvalidRequestException>(() => _client.Saga()
            .Step("flight", Participant, "", new byte[] { 1 }, new byte[] { 2 })).Field);
        Assert.Equal("idempotency_key", Assert.Throws<TwoPcInvalidRequestException>(() => _client.Saga().IdempotencyKey(new string('k', 129))).Field);
        Assert.Equal("retry.max_attempts", Assert.Throws<TwoPcInvalidRequestException>(() => _client.Saga()
            .Step("flight", Participant, "flight", new byte[] { 1 }, new byte[] { 2 }, s => s.Retry(0, TimeSpan.Zero, TimeSpan.Zero))).Field);
        Assert.Equal("retry.max_attempts", Assert.Throws<TwoPcInvalidRequestException>(() => _client.Saga()
            .Step("flight", Participant, "flight", new byte[] { 1 }, new byte[] { 2 }, s => s.Retry(101, TimeSpan.Zero, TimeSpan.Zero))).Field);
        Assert.Equal("retry.max_backoff", Assert.Throws<TwoPcInvalidRequestException>(() => _client.Saga()
            .Step("flight", Participant, "flight", new byte[] { 1 }, new byte[] { 2 }, s => s.Retry(3, TimeSpan.Zero, TimeSpan.FromHours(2)))).Field);
        Assert.Equal("timeout", Assert.Throws<TwoPcInvalidRequestException>(() => _client.Saga()
            .Step("flight", Participant, "flight", new byte[] { 1 }, new byte[] { 2 }, s => s.Timeout(TimeSpan.Zero))).Field);
        Assert.Equal(0, _coordinator.Count("RunSaga"));
    }

    [Fact]
    public void Taxonomy_EveryClientException_DerivesFromTheOneBase()
    {
        foreach (var type in typeof(TwoPcClient).Assembly.GetExportedTypes().Where(t => typeof(Exception).IsAssignableFrom(t)))
            Assert.True(typeof(TwoPcTransactionException).IsAssignableFrom(type), type.Name);
    }
}
