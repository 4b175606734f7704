using Google.Protobuf;
using Grpc.Core;
using TwoPC.Participant.Resources;
using TwoPC.Participant.Storage;
using TwoPC.Participant.Tests.Infrastructure;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Participant.Tests.TwoPhase;

public sealed class PrepareTests : HostedParticipantTest
{
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
        Host.Flusher.Gate = gate;
        var call = Host.Client.PrepareAsync(Prepare("tx-force")).ResponseAsync;

        await Host.Flusher.Entered.Task.WithTimeout();
        Assert.Equal(1, Host.Resource.Count("prepare", "tx-force"));
        var early = await Task.WhenAny(call, Task.Delay(300));
        Assert.NotSame(call, early);

        Host.Flusher.Gate = null;
        gate.Set();
        var response = await call.WithTimeout();
        Assert.Equal(P.Vote.Prepared, response.Vote);
        var record = BranchDocuments.Find(Host.Store.Database, "tx-force", 1);
        Assert.Equal(BranchStatus.Prepared, record!.Status);
        Assert.Equal("http://127.0.0.1:1", record.CoordinatorAddress);
        Assert.Equal(new byte[] { 7 }, record.State);
    }

    [Fact]
    public async Task Prepare_FlushFails_ReturnsErrorNotPrepared_AndTheStoreStops()
    {
        Host.Flusher.Fail = true;
        var error = await Assert.ThrowsAsync<RpcException>(() => Host.Client.PrepareAsync(Prepare("tx-flushfail")).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);

        // The record is in LiteDB but maybe not on disk; a flush that works now would not put it there.
        Host.Flusher.Fail = false;
        var retry = await Assert.ThrowsAsync<RpcException>(() => Host.Client.PrepareAsync(Prepare("tx-flushfail")).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, retry.StatusCode);
        Assert.Contains("restart", retry.Status.Detail);
        Assert.Equal(1, Host.Resource.Count("prepare", "tx-flushfail"));
        Assert.Single(Host.FailStop.Stops);
    }

    [Fact]
    public async Task Prepare_ResourceThrows_VotesAbortWithTheMessage_RecordsIt_AndIsNotCalledAgain()
    {
        Host.Resource.OnPrepare = _ => throw new InvalidOperationException("account 42 is frozen");

        var first = await Host.Client.PrepareAsync(Prepare("tx-throws"));
        var again = await Host.Client.PrepareAsync(Prepare("tx-throws"));

        Assert.Equal(P.Vote.Abort, first.Vote);
        Assert.Contains("account 42 is frozen", first.Reason);
        Assert.Equal(first, again);
        Assert.Equal(1, Host.Resource.Count("prepare", "tx-throws"));
        Assert.Equal(BranchStatus.VotedAbort, BranchDocuments.Find(Host.Store.Database, "tx-throws", 1)!.Status);
    }

    [Fact]
    public async Task Prepare_OnePhase_ResourceThrows_IsAborted()
    {
        Host.Resource.OnPrepare = _ => throw new InvalidOperationException("account 42 is frozen");

        var answer = await Host.Client.PrepareAsync(Prepare("tx-throws-1pc", onePhase: true));

        Assert.Equal(P.Vote.Abort, answer.Vote);
        Assert.Equal(P.Outcome.Aborted, answer.Outcome);
        Assert.Contains("account 42 is frozen", answer.Reason);
        Assert.Equal(0, Host.Resource.Count("commit", "tx-throws-1pc"));
    }

    [Fact]
    public async Task Prepare_OnePhase_CommitThrows_AbortsReleasingThePrepare_AndARetryDoesNotPrepareAgain()
    {
        Host.Resource.OnCommit = _ => throw new InvalidOperationException("ledger offline");

        var first = await Host.Client.PrepareAsync(Prepare("tx-1pc-throws", onePhase: true));
        var again = await Host.Client.PrepareAsync(Prepare("tx-1pc-throws", onePhase: true));

        Assert.Equal(P.Outcome.Aborted, first.Outcome);
        Assert.Contains("ledger offline", first.Reason);
        Assert.Equal(first, again);
        Assert.Equal(1, Host.Resource.Count("prepare", "tx-1pc-throws"));
        Assert.Equal(1, Host.Resource.Count("abort", "tx-1pc-throws"));
        Assert.Equal(BranchStatus.VotedAbort, BranchDocuments.Find(Host.Store.Database, "tx-1pc-throws", 1)!.Status);
    }

    [Fact]
    public async Task Prepare_Duplicate_ReturnsSameVoteAndCallsResourceOnce()
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Host.Client.PrepareAsync(Prepare("tx-dup")).ResponseAsync));
        var again = await Host.Client.PrepareAsync(Prepare("tx-dup"));

        Assert.All(answers, a => Assert.Equal(P.Vote.Prepared, a.Vote));
        Assert.Equal(P.Vote.Prepared, again.Vote);
        Assert.Equal(1, Host.Resource.Count("prepare", "tx-dup"));
    }

    [Fact]
    public async Task Prepare_DuplicateAbortVote_ReturnsSameReason()
    {
        Host.Resource.OnPrepare = _ => PrepareResult.Abort("insufficient funds");
        var first = await Host.Client.PrepareAsync(Prepare("tx-novote"));
        var second = await Host.Client.PrepareAsync(Prepare("tx-novote"));

        Assert.Equal(P.Vote.Abort, first.Vote);
        Assert.Equal("insufficient funds", first.Reason);
        Assert.Equal(first, second);
        Assert.Equal(1, Host.Resource.Count("prepare", "tx-novote"));
    }

    [Fact]
    public async Task Prepare_AfterAbort_VotesAbortWithoutCallingResource()
    {
        var ack = await Host.Client.AbortAsync(new P.BranchRequest { TransactionId = "tx-late", BranchId = 1, Resource = "accounts" });
        var vote = await Host.Client.PrepareAsync(Prepare("tx-late"));

        Assert.Equal(P.BranchState.Aborted, ack.State);
        Assert.Equal(P.Vote.Abort, vote.Vote);
        Assert.Equal(0, Host.Resource.Count("prepare", "tx-late"));
    }

    [Fact]
    public async Task Prepare_OnePhase_CommitsInOneForcedWrite()
    {
        Host.Resource.OnCommit = ctx => ctx.Write(TestResource.InsertBusinessRow("one-phase"));
        var response = await Host.Client.PrepareAsync(Prepare("tx-1pc", onePhase: true));

        Assert.Equal(P.Outcome.Committed, response.Outcome);
        Assert.Equal(1, Host.Resource.Count("commit", "tx-1pc"));
        Assert.Equal(BranchStatus.Committed, BranchDocuments.Find(Host.Store.Database, "tx-1pc", 1)!.Status);
        Assert.NotNull(Host.Store.Database.GetCollection("business").FindById("one-phase"));
    }

    [Fact]
    public async Task Prepare_UnknownResource_NotFound()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Host.Client.PrepareAsync(Prepare("tx-x", resource: "nope")).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains("nope", error.Status.Detail);
    }

    [Fact]
    public async Task Prepare_OversizedPayload_InvalidArgument()
    {
        var request = Prepare("tx-big");
        request.Payload = ByteString.CopyFrom(new byte[64 * 1024 + 1]);
        var error = await Assert.ThrowsAsync<RpcException>(() => Host.Client.PrepareAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("payload", error.Status.Detail);
        Assert.Equal(0, Host.Resource.Count("prepare", "tx-big"));
    }

    [Fact]
    public async Task Prepare_EmptyTransactionId_InvalidArgument()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Host.Client.PrepareAsync(Prepare("")).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("transaction_id", error.Status.Detail);
    }
}
