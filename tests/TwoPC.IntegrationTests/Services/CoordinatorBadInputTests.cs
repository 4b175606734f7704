using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using TwoPC.IntegrationTests.Support;
using TwoPC.Protocol.V1;

namespace TwoPC.IntegrationTests.Services;

/// <summary>Bad input over real gRPC: the right status, a message naming the field, and nothing changed.</summary>
public sealed class CoordinatorBadInputTests(CoordinatorFixture fixture) : IClassFixture<CoordinatorFixture>
{
    private TwoPC.Protocol.V1.Coordinator.CoordinatorClient Client => new(fixture.Coordinator.Channel);

    private async Task<string> BeginAsync() =>
        (await Client.BeginAsync(new BeginRequest { Mode = TransactionMode.TwoPhase })).TransactionId;

    private static async Task<RpcException> FailsWith(StatusCode code, Func<Task> call, string mentions)
    {
        var error = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, error.StatusCode);
        Assert.Contains(mentions, error.Status.Detail);
        return error;
    }

    [Fact]
    public Task Begin_WithoutMode_IsInvalidArgument() =>
        FailsWith(StatusCode.InvalidArgument, () => Client.BeginAsync(new BeginRequest()).ResponseAsync, "mode");

    [Theory]
    [InlineData(0, 1_000_000)] // 1 ms: below the 100 ms minimum
    [InlineData(7200, 0)] // 2 h: above the 1 h maximum
    [InlineData(-5, 0)]
    public Task Begin_TimeoutOutOfRange_IsInvalidArgument(long seconds, int nanos) =>
        FailsWith(StatusCode.InvalidArgument, () => Client.BeginAsync(new BeginRequest { Mode = TransactionMode.TwoPhase, Timeout = new Duration { Seconds = seconds, Nanos = nanos } }).ResponseAsync, "timeout");

    [Fact]
    public async Task Begin_WithBranches_AnswersTheirIds_AndEnlistContinuesAfterThem()
    {
        var request = new BeginRequest { Mode = TransactionMode.TwoPhase };
        request.Branches.Add(new EnlistRequest { ParticipantAddress = "http://127.0.0.1:1", Resource = "a", Payload = ByteString.CopyFromUtf8("x") });
        request.Branches.Add(new EnlistRequest { ParticipantAddress = "http://127.0.0.1:2", Resource = "b" });

        var begun = await Client.BeginAsync(request);
        var third = await Client.EnlistAsync(new EnlistRequest { TransactionId = begun.TransactionId, ParticipantAddress = "http://127.0.0.1:3", Resource = "c" });

        Assert.Equal([1, 2], begun.BranchIds);
        Assert.Equal(3, third.BranchId);
        await Client.AbortAsync(new AbortRequest { TransactionId = begun.TransactionId });
    }

    [Theory]
    [InlineData("", "r", "", "branches[1].participant_address")]
    [InlineData("http://127.0.0.1:1", "", "", "branches[1].resource")]
    [InlineData("http://127.0.0.1:1", "r", "00000000000000000000000000000000", "branches[1].transaction_id")]
    public async Task Begin_WithABadBranch_IsInvalidArgument_NamingIt_AndCreatesNothing(string address, string resource, string transactionId, string field)
    {
        var key = "bad-branch-" + Guid.NewGuid().ToString("N");
        var request = new BeginRequest { Mode = TransactionMode.TwoPhase, IdempotencyKey = key };
        request.Branches.Add(new EnlistRequest { ParticipantAddress = "http://127.0.0.1:1", Resource = "ok" });
        request.Branches.Add(new EnlistRequest { ParticipantAddress = address, Resource = resource, TransactionId = transactionId });

        await FailsWith(StatusCode.InvalidArgument, () => Client.BeginAsync(request).ResponseAsync, field);

        // Nothing was created: the same key now begins a fresh transaction without branches.
        var fresh = await Client.BeginAsync(new BeginRequest { Mode = TransactionMode.TwoPhase, IdempotencyKey = key });
        Assert.Empty(fresh.BranchIds);
        await Client.AbortAsync(new AbortRequest { TransactionId = fresh.TransactionId });
    }

    [Fact]
    public Task Enlist_UnknownTransaction_IsNotFound() =>
        FailsWith(StatusCode.NotFound, () => Client.EnlistAsync(new EnlistRequest { TransactionId = new string('0', 32), ParticipantAddress = "http://127.0.0.1:1", Resource = "r" }).ResponseAsync, "transaction_id");

    [Fact]
    public Task Enlist_MalformedTransactionId_IsInvalidArgument() =>
        FailsWith(StatusCode.InvalidArgument, () => Client.EnlistAsync(new EnlistRequest { TransactionId = "../../etc/passwd", ParticipantAddress = "http://127.0.0.1:1", Resource = "r" }).ResponseAsync, "transaction_id");

    [Theory]
    [InlineData("")]
    [InlineData("127.0.0.1:5000")]
    [InlineData("grpc://127.0.0.1:5000")]
    [InlineData("http://")]
    public async Task Enlist_MalformedAddress_IsInvalidArgument_AndAddsNoBranch(string address)
    {
        var id = await BeginAsync();
        await FailsWith(StatusCode.InvalidArgument, () => Client.EnlistAsync(new EnlistRequest { TransactionId = id, ParticipantAddress = address, Resource = "r" }).ResponseAsync, "participant_address");
        Assert.Empty((await Client.GetTransactionAsync(new GetTransactionRequest { TransactionId = id })).Branches);
    }

    [Fact]
    public async Task Enlist_EmptyResource_IsInvalidArgument()
    {
        var id = await BeginAsync();
        await FailsWith(StatusCode.InvalidArgument, () => Client.EnlistAsync(new EnlistRequest { TransactionId = id, ParticipantAddress = "http://127.0.0.1:1", Resource = "" }).ResponseAsync, "resource");
    }

    [Fact]
    public async Task Enlist_PayloadOverTheLimit_IsInvalidArgument()
    {
        var id = await BeginAsync();
        await FailsWith(StatusCode.InvalidArgument, () => Client.EnlistAsync(new EnlistRequest
        {
            TransactionId = id,
            ParticipantAddress = "http://127.0.0.1:1",
            Resource = "r",
            Payload = ByteString.CopyFrom(new byte[64 * 1024 + 1]),
        }).ResponseAsync, "payload");
    }

    [Fact]
    public async Task Commit_OfATransactionAbortedBeforeCommit_IsFailedPrecondition()
    {
        var id = await BeginAsync();
        await Client.AbortAsync(new AbortRequest { TransactionId = id, Reason = "test" });

        await FailsWith(StatusCode.FailedPrecondition, () => Client.CommitAsync(new CommitRequest { TransactionId = id }).ResponseAsync, "aborted before Commit");
    }

    [Fact]
    public async Task Enlist_AfterCommit_IsFailedPrecondition()
    {
        var id = await BeginAsync();
        var commit = await Client.CommitAsync(new CommitRequest { TransactionId = id });
        Assert.Equal(Outcome.Committed, commit.Outcome);

        await FailsWith(StatusCode.FailedPrecondition, () => Client.EnlistAsync(new EnlistRequest { TransactionId = id, ParticipantAddress = "http://127.0.0.1:1", Resource = "r" }).ResponseAsync, id);
    }

    [Fact]
    public async Task Abort_OfACommittedTransaction_IsFailedPrecondition_AndItStaysCommitted()
    {
        var id = await BeginAsync();
        await Client.CommitAsync(new CommitRequest { TransactionId = id });

        await FailsWith(StatusCode.FailedPrecondition, () => Client.AbortAsync(new AbortRequest { TransactionId = id }).ResponseAsync, "already committed");
        var info = await Client.GetTransactionAsync(new GetTransactionRequest { TransactionId = id });
        Assert.Equal(Outcome.Committed, info.Outcome);
    }

    [Fact]
    public Task GetTransaction_UnknownId_IsNotFound() =>
        FailsWith(StatusCode.NotFound, () => Client.GetTransactionAsync(new GetTransactionRequest { TransactionId = new string('a', 32) }).ResponseAsync, "not known");

    [Fact]
    public async Task GetTransaction_UnknownId_ForAParticipantInDoubt_IsPresumedAborted()
    {
        var info = await Client.GetTransactionAsync(new GetTransactionRequest { TransactionId = new string('b', 32), ResolveInDoubt = true });
        Assert.Equal(Outcome.Aborted, info.Outcome);
        Assert.True(info.PresumedAbort);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1001)]
    public Task List_PageSizeOutOfRange_IsInvalidArgument(int size) =>
        FailsWith(StatusCode.InvalidArgument, () => Client.ListTransactionsAsync(new ListTransactionsRequest { PageSize = size }).ResponseAsync, "page_size");

    [Fact]
    public Task List_ForgedPageToken_IsInvalidArgument() =>
        FailsWith(StatusCode.InvalidArgument, () => Client.ListTransactionsAsync(new ListTransactionsRequest { PageToken = "drop table" }).ResponseAsync, "page_token");

    [Fact]
    public async Task List_FiltersByState_AndPages()
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var id = await BeginAsync();
            await Client.AbortAsync(new AbortRequest { TransactionId = id });
            ids.Add(id);
        }

        var first = await Client.ListTransactionsAsync(new ListTransactionsRequest { States = { TransactionState.Aborted, TransactionState.Aborting }, PageSize = 2 });
        var second = await Client.ListTransactionsAsync(new ListTransactionsRequest { States = { TransactionState.Aborted, TransactionState.Aborting }, PageSize = 2, PageToken = first.NextPageToken });

        Assert.All(first.Transactions.Concat(second.Transactions), t => Assert.Equal(Outcome.Aborted, t.Outcome));
        var listed = first.Transactions.Concat(second.Transactions).Select(t => t.TransactionId).ToList();
        Assert.Equal(listed.Distinct().Count(), listed.Count);
        Assert.Contains(ids[2], first.Transactions.Select(t => t.TransactionId));
    }
}
