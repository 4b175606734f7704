using Grpc.Core;
using TwoPC.Participant.Storage;
using TwoPC.Participant.Tests.Infrastructure;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Participant.Tests.TwoPhase;

public sealed class CommitAbortTests : HostedParticipantTest
{
    private static P.BranchRequest Branch(string tx) => new() { TransactionId = tx, BranchId = 1, Resource = "accounts" };

    private async Task PrepareAsync(string tx) =>
        Assert.Equal(P.Vote.Prepared, (await Host.Client.PrepareAsync(PrepareTests.Prepare(tx))).Vote);

    [Fact]
    public async Task Commit_CallerGoneAfterTheResourceRan_StillRecordsTheCommit_SoARetryDoesNotRunItAgain()
    {
        await Host.Client.PrepareAsync(PrepareTests.Prepare("tx-gone"));
        using var entered = new ManualResetEventSlim(false);
        // The resource commits (in memory), then the coordinator's call is cancelled (it crashed) before the SDK
        // writes the committed record.
        Host.Resource.OnCommitWithToken = (_, token) =>
        {
            entered.Set();
            token.WaitHandle.WaitOne(TimeSpan.FromSeconds(10));
        };
        using var cancel = new CancellationTokenSource();
        var call = Host.Client.CommitAsync(Branch("tx-gone"), cancellationToken: cancel.Token).ResponseAsync;
        await Eventually.WaitUntilAsync(() => entered.IsSet, "the resource is committing");
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<RpcException>(() => call);
        Host.Resource.OnCommitWithToken = null;

        // The retry (the recovered coordinator, or in-doubt resolution) must find the branch committed.
        await Eventually.WaitUntilAsync(() => BranchDocuments.Find(Host.Store.Database, "tx-gone", 1)?.Status == BranchStatus.Committed, "the committed record is written");
        var retry = await Host.Client.CommitAsync(Branch("tx-gone"));
        Assert.Equal(P.BranchState.Committed, retry.State);
        Assert.Equal(1, Host.Resource.Count("commit", "tx-gone"));
    }

    [Fact]
    public async Task Commit_Twice_SameStateAndResourceCalledOnce()
    {
        await PrepareAsync("tx-c");
        var flushesBefore = Host.Flusher.Flushes;
        var first = await Host.Client.CommitAsync(Branch("tx-c"));
        Assert.True(Host.Flusher.Flushes > flushesBefore, "the committed record is forced before the ack");
        var second = await Host.Client.CommitAsync(Branch("tx-c"));

        Assert.Equal(P.BranchState.Committed, first.State);
        Assert.Equal(P.BranchState.Committed, second.State);
        Assert.Equal(1, Host.Resource.Count("commit", "tx-c"));
    }

    [Fact]
    public async Task Commit_ConcurrentDuplicates_ResourceCalledOnce()
    {
        await PrepareAsync("tx-cc");
        var acks = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Host.Client.CommitAsync(Branch("tx-cc")).ResponseAsync));
        Assert.All(acks, a => Assert.Equal(P.BranchState.Committed, a.State));
        Assert.Equal(1, Host.Resource.Count("commit", "tx-cc"));
    }

    [Fact]
    public async Task Abort_Twice_SameStateAndResourceCalledOnce()
    {
        await PrepareAsync("tx-a");
        var first = await Host.Client.AbortAsync(Branch("tx-a"));
        var second = await Host.Client.AbortAsync(Branch("tx-a"));

        Assert.Equal(P.BranchState.Aborted, first.State);
        Assert.Equal(P.BranchState.Aborted, second.State);
        Assert.Equal(1, Host.Resource.Count("abort", "tx-a"));
        Assert.Equal(BranchStatus.Aborted, BranchDocuments.Find(Host.Store.Database, "tx-a", 1)!.Status);
    }

    [Fact]
    public async Task Commit_AfterAbort_FailedPreconditionAndStateUnchanged()
    {
        await PrepareAsync("tx-ca");
        await Host.Client.AbortAsync(Branch("tx-ca"));
        var error = await Assert.ThrowsAsync<RpcException>(() => Host.Client.CommitAsync(Branch("tx-ca")).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("aborted", error.Status.Detail);
        Assert.Equal(BranchStatus.Aborted, BranchDocuments.Find(Host.Store.Database, "tx-ca", 1)!.Status);
        Assert.Equal(0, Host.Resource.Count("commit", "tx-ca"));
    }

    [Fact]
    public async Task Abort_AfterCommit_FailedPrecondition()
    {
        await PrepareAsync("tx-ac");
        await Host.Client.CommitAsync(Branch("tx-ac"));
        var error = await Assert.ThrowsAsync<RpcException>(() => Host.Client.AbortAsync(Branch("tx-ac")).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal(BranchStatus.Committed, BranchDocuments.Find(Host.Store.Database, "tx-ac", 1)!.Status);
    }

    [Fact]
    public async Task Commit_NeverPrepared_FailedPrecondition()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Host.Client.CommitAsync(Branch("tx-never")).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Null(BranchDocuments.Find(Host.Store.Database, "tx-never", 1));
    }

    [Fact]
    public async Task Commit_ResourceWrite_CommitsWithTheCommittedRecord()
    {
        Host.Resource.OnCommit = ctx => ctx.Write(TestResource.InsertBusinessRow("row-" + ctx.TransactionId));
        await PrepareAsync("tx-w");
        await Host.Client.CommitAsync(Branch("tx-w"));
        Assert.NotNull(Host.Store.Database.GetCollection("business").FindById("row-tx-w"));

        Host.Resource.OnCommit = ctx => ctx.Write(_ => throw new InvalidOperationException("broken write"));
        await PrepareAsync("tx-wbad");
        var error = await Assert.ThrowsAsync<RpcException>(() => Host.Client.CommitAsync(Branch("tx-wbad")).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(BranchStatus.Prepared, BranchDocuments.Find(Host.Store.Database, "tx-wbad", 1)!.Status);
    }

    [Fact]
    public async Task Describe_AndGetStats_ReportHostedNamesAndCounters()
    {
        await PrepareAsync("tx-stats");
        var describe = await Host.Client.DescribeAsync(new P.DescribeRequest());
        var stats = await Host.Diagnostics.GetStatsAsync(new P.GetStatsRequest());

        Assert.Equal(new[] { "accounts" }, describe.Resources);
        Assert.Equal(new[] { "reserve" }, describe.SagaSteps);
        Assert.True(stats.ForcedWrites >= 1);
        Assert.True(stats.Batches >= 1);
        Assert.True(stats.RssBytes > 0);
        Assert.Equal(1, stats.Counters["prepare.prepared"]);
    }
}
