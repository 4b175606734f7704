using Google.Protobuf;
using Grpc.Core;
using TwoPC.Participant.Resources;
using TwoPC.Participant.Storage;
using TwoPC.Participant.Tests.Infrastructure;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Participant.Tests.TwoPhase;

public sealed class PrepareTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private ParticipantHost _host = null!;

    public async Task InitializeAsync() => _host = await ParticipantHost.StartAsync(_dir.File("p.db"));

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _dir.Dispose();
    }

    internal static P.PrepareRequest Prepare(string tx, int branch = 1, string resource = "accounts", bool onePhase = false) => new()
    {
        TransactionId = tx,
        BranchId = branch,
        Resource = resource,
        Payload = ByteString.CopyFromUtf8("debit 10"),
        CoordinatorAddress = "http://127.0.0.1:1",
        OnePhase = onePhase,
    };

    [Fact]
    public async Task Prepare_VoteWaitsForTheForcedRecord()
    {
        using var gate = new ManualResetEventSlim(false);
        _host.Flusher.Gate = gate;
        var call = _host.Client.PrepareAsync(Prepare("tx-force")).ResponseAsync;

        await _host.Flusher.Entered.Task.WithTimeout();
        Assert.Equal(1, _host.Resource.Count("prepare", "tx-force"));
        var early = await Task.WhenAny(call, Task.Delay(300));
        Assert.NotSame(call, early);

        _host.Flusher.Gate = null;
        gate.Set();
        var response = await call.WithTimeout();
        Assert.Equal(P.Vote.Prepared, response.Vote);
        var record = BranchLog.Find(_host.Store.Database, "tx-force", 1);
        Assert.Equal(BranchStatus.Prepared, record!.Status);
        Assert.Equal("http://127.0.0.1:1", record.CoordinatorAddress);
        Assert.Equal(new byte[] { 7 }, record.State);
    }

    [Fact]
    public async Task Prepare_FlushFails_ReturnsErrorNotPrepared_ThenDuplicateAnswersFromStore()
    {
        _host.Flusher.Fail = true;
        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Client.PrepareAsync(Prepare("tx-flushfail")).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);

        _host.Flusher.Fail = false;
        var retry = await _host.Client.PrepareAsync(Prepare("tx-flushfail"));
        Assert.Equal(P.Vote.Prepared, retry.Vote);
        Assert.Equal(1, _host.Resource.Count("prepare", "tx-flushfail"));
    }

    [Fact]
    public async Task Prepare_Duplicate_ReturnsSameVoteAndCallsResourceOnce()
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => _host.Client.PrepareAsync(Prepare("tx-dup")).ResponseAsync));
        var again = await _host.Client.PrepareAsync(Prepare("tx-dup"));

        Assert.All(answers, a => Assert.Equal(P.Vote.Prepared, a.Vote));
        Assert.Equal(P.Vote.Prepared, again.Vote);
        Assert.Equal(1, _host.Resource.Count("prepare", "tx-dup"));
    }

    [Fact]
    public async Task Prepare_DuplicateAbortVote_ReturnsSameReason()
    {
        _host.Resource.OnPrepare = _ => PrepareResult.Abort("insufficient funds");
        var first = await _host.Client.PrepareAsync(Prepare("tx-novote"));
        var second = await _host.Client.PrepareAsync(Prepare("tx-novote"));

        Assert.Equal(P.Vote.Abort, first.Vote);
        Assert.Equal("insufficient funds", first.Reason);
        Assert.Equal(first, second);
        Assert.Equal(1, _host.Resource.Count("prepare", "tx-novote"));
    }

    [Fact]
    public async Task Prepare_AfterAbort_VotesAbortWithoutCallingResource()
    {
        var ack = await _host.Client.AbortAsync(new P.BranchRequest { TransactionId = "tx-late", BranchId = 1, Resource = "accounts" });
        var vote = await _host.Client.PrepareAsync(Prepare("tx-late"));

        Assert.Equal(P.BranchState.Aborted, ack.State);
        Assert.Equal(P.Vote.Abort, vote.Vote);
        Assert.Equal(0, _host.Resource.Count("prepare", "tx-late"));
    }

    [Fact]
    public async Task Prepare_OnePhase_CommitsInOneForcedWrite()
    {
        _host.Resource.OnCommit = ctx => ctx.Write(TestResource.InsertBusinessRow("one-phase"));
        var response = await _host.Client.PrepareAsync(Prepare("tx-1pc", onePhase: true));

        Assert.Equal(P.Outcome.Committed, response.Outcome);
        Assert.Equal(1, _host.Resource.Count("commit", "tx-1pc"));
        Assert.Equal(BranchStatus.Committed, BranchLog.Find(_host.Store.Database, "tx-1pc", 1)!.Status);
        Assert.NotNull(_host.Store.Database.GetCollection("business").FindById("one-phase"));
    }

    [Fact]
    public async Task Prepare_UnknownResource_NotFound()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Client.PrepareAsync(Prepare("tx-x", resource: "nope")).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains("nope", error.Status.Detail);
    }

    [Fact]
    public async Task Prepare_OversizedPayload_InvalidArgument()
    {
        var request = Prepare("tx-big");
        request.Payload = ByteString.CopyFrom(new byte[64 * 1024 + 1]);
        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Client.PrepareAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("payload", error.Status.Detail);
        Assert.Equal(0, _host.Resource.Count("prepare", "tx-big"));
    }

    [Fact]
    public async Task Prepare_EmptyTransactionId_InvalidArgument()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Client.PrepareAsync(Prepare("")).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("transaction_id", error.Status.Detail);
    }
}
