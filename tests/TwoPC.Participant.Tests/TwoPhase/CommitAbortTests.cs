using Grpc.Core;
using TwoPC.Participant.Storage;
using TwoPC.Participant.Tests.Infrastructure;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Participant.Tests.TwoPhase;

public sealed class CommitAbortTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private ParticipantHost _host = null!;

    public async Task InitializeAsync() => _host = await ParticipantHost.StartAsync(_dir.File("p.db"));

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _dir.Dispose();
    }

    private static P.BranchRequest Branch(string tx) => new() { TransactionId = tx, BranchId = 1, Resource = "accounts" };

    private async Task PrepareAsync(string tx) =>
        Assert.Equal(P.Vote.Prepared, (await _host.Client.PrepareAsync(PrepareTests.Prepare(tx))).Vote);

    [Fact]
    public async Task Commit_Twice_SameStateAndResourceCalledOnce()
    {
        await PrepareAsync("tx-c");
        var flushesBefore = _host.Flusher.Flushes;
        var first = await _host.Client.CommitAsync(Branch("tx-c"));
        Assert.True(_host.Flusher.Flushes > flushesBefore, "the committed record is forced before the ack");
        var second = await _host.Client.CommitAsync(Branch("tx-c"));

        Assert.Equal(P.BranchState.Committed, first.State);
        Assert.Equal(P.BranchState.Committed, second.State);
        Assert.Equal(1, _host.Resource.Count("commit", "tx-c"));
    }

    [Fact]
    public async Task Commit_ConcurrentDuplicates_ResourceCalledOnce()
    {
        await PrepareAsync("tx-cc");
        var acks = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => _host.Client.CommitAsync(Branch("tx-cc")).ResponseAsync));
        Assert.All(acks, a => Assert.Equal(P.BranchState.Committed, a.State));
        Assert.Equal(1, _host.Resource.Count("commit", "tx-cc"));
    }

    [Fact]
    public async Task Abort_Twice_SameStateAndResourceCalledOnce()
    {
        await PrepareAsync("tx-a");
        var first = await _host.Client.AbortAsync(Branch("tx-a"));
        var second = await _host.Client.AbortAsync(Branch("tx-a"));

        Assert.Equal(P.BranchState.Aborted, first.State);
        Assert.Equal(P.BranchState.Aborted, second.State);
        Assert.Equal(1, _host.Resource.Count("abort", "tx-a"));
        Assert.Equal(BranchStatus.Aborted, BranchLog.Find(_host.Store.Database, "tx-a", 1)!.Status);
    }

    [Fact]
    public async Task Commit_AfterAbort_FailedPreconditionAndStateUnchanged()
    {
        await PrepareAsync("tx-ca");
        await _host.Client.AbortAsync(Branch("tx-ca"));
        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Client.CommitAsync(Branch("tx-ca")).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("aborted", error.Status.Detail);
        Assert.Equal(BranchStatus.Aborted, BranchLog.Find(_host.Store.Database, "tx-ca", 1)!.Status);
        Assert.Equal(0, _host.Resource.Count("commit", "tx-ca"));
    }

    [Fact]
    public async Task Abort_AfterCommit_FailedPrecondition()
    {
        await PrepareAsync("tx-ac");
        await _host.Client.CommitAsync(Branch("tx-ac"));
        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Client.AbortAsync(Branch("tx-ac")).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal(BranchStatus.Committed, BranchLog.Find(_host.Store.Database, "tx-ac", 1)!.Status);
    }

    [Fact]
    public async Task Commit_NeverPrepared_FailedPrecondition()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Client.CommitAsync(Branch("tx-never")).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Null(BranchLog.Find(_host.Store.Database, "tx-never", 1));
    }

    [Fact]
    public async Task Commit_ResourceWrite_CommitsWithTheCommittedRecord()
    {
        _host.Resource.OnCommit = ctx => ctx.Write(TestResource.InsertBusinessRow("row-" + ctx.TransactionId));
        await PrepareAsync("tx-w");
        await _host.Client.CommitAsync(Branch("tx-w"));
        Assert.NotNull(_host.Store.Database.GetCollection("business").FindById("row-tx-w"));

        _host.Resource.OnCommit = ctx => ctx.Write(_ => throw new InvalidOperationException("broken write"));
        await PrepareAsync("tx-wbad");
        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Client.CommitAsync(Branch("tx-wbad")).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(BranchStatus.Prepared, BranchLog.Find(_host.Store.Database, "tx-wbad", 1)!.Status);
    }

    [Fact]
    public async Task Describe_AndGetStats_ReportHostedNamesAndCounters()
    {
        await PrepareAsync("tx-stats");
        var describe = await _host.Client.DescribeAsync(new P.DescribeRequest());
        var stats = await _host.Diagnostics.GetStatsAsync(new P.GetStatsRequest());

        Assert.Equal(new[] { "accounts" }, describe.Resources);
        Assert.Equal(new[] { "reserve" }, describe.SagaSteps);
        Assert.True(stats.ForcedWrites >= 1);
        Assert.True(stats.Batches >= 1);
        Assert.True(stats.RssBytes > 0);
        Assert.Equal(1, stats.Counters["prepare.prepared"]);
    }
}
