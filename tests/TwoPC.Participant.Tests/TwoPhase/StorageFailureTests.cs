using Grpc.Core;
using TwoPC.Participant.Tests.Infrastructure;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Participant.Tests.TwoPhase;

/// <summary>
/// A record write that fails after the resource ran: the resource has changed memory and the disk may not hold the
/// record (after a failed fdatasync a later flush succeeds without the data). A retry must neither run the resource
/// a second time nor be answered from the unflushed record.
/// </summary>
public sealed class StorageFailureTests : HostedParticipantTest
{
    private static P.BranchRequest Branch(string tx) => new() { TransactionId = tx, BranchId = 1, Resource = "accounts" };

    private volatile bool _writesBroken = true;

    /// <summary>A local write that throws until the test heals it (a write the store could not apply).</summary>
    private void BrokenWrite(LiteDB.LiteDatabase _)
    {
        if (_writesBroken) throw new IOException("injected write failure");
    }

    [Fact]
    public async Task Commit_RecordWriteFailsAfterTheResourceCommitted_TheRetryDoesNotCommitAgain()
    {
        Assert.Equal(P.Vote.Prepared, (await Host.Client.PrepareAsync(PrepareTests.Prepare("tx-twice"))).Vote);
        Host.Resource.OnCommit = ctx => ctx.Write(BrokenWrite);

        var first = await Assert.ThrowsAsync<RpcException>(() => Host.Client.CommitAsync(Branch("tx-twice")).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, first.StatusCode);

        // The coordinator retries phase 2; the write would work now, but the resource has already applied the commit.
        _writesBroken = false;
        var retry = await Record.ExceptionAsync(() => Host.Client.CommitAsync(Branch("tx-twice")).ResponseAsync);

        Assert.Equal(1, Host.Resource.Count("commit", "tx-twice"));
        Assert.Equal(StatusCode.Unavailable, Assert.IsType<RpcException>(retry).StatusCode);
        Assert.Single(Host.FailStop.Stops);
    }

    [Fact]
    public async Task Commit_FlushFailsOnce_TheRetryIsNotAcknowledgedFromTheUnflushedRecord()
    {
        Assert.Equal(P.Vote.Prepared, (await Host.Client.PrepareAsync(PrepareTests.Prepare("tx-eio"))).Vote);
        Host.Flusher.FailNext();

        var first = await Assert.ThrowsAsync<RpcException>(() => Host.Client.CommitAsync(Branch("tx-eio")).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, first.StatusCode);

        // A flush that succeeds now proves nothing: the failed fdatasync's pages were marked clean, not written.
        var retry = await Record.ExceptionAsync(() => Host.Client.CommitAsync(Branch("tx-eio")).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, Assert.IsType<RpcException>(retry).StatusCode);
        Assert.Equal(1, Host.Resource.Count("commit", "tx-eio"));
        Assert.Single(Host.FailStop.Stops);
    }

    [Fact]
    public async Task Prepare_FlushFailsOnce_TheRetryDoesNotPrepareAgainNorVoteYes()
    {
        Host.Flusher.FailNext();

        var first = await Assert.ThrowsAsync<RpcException>(() => Host.Client.PrepareAsync(PrepareTests.Prepare("tx-eio-p")).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, first.StatusCode);

        // A yes now would rest on a record the disk may not hold.
        var retry = await Record.ExceptionAsync(() => Host.Client.PrepareAsync(PrepareTests.Prepare("tx-eio-p")).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, Assert.IsType<RpcException>(retry).StatusCode);
        Assert.Equal(1, Host.Resource.Count("prepare", "tx-eio-p"));
        Assert.Single(Host.FailStop.Stops);
    }

    [Fact]
    public async Task Execute_BarrierWriteFailsAfterTheHandlerRan_TheRetryDoesNotRunItAgain()
    {
        var request = new P.ExecuteRequest { TransactionId = "s-twice", StepName = "step", Resource = "reserve", Attempt = 1 };
        Host.Steps.OnExecute = ctx =>
        {
            ctx.Write(BrokenWrite);
            return Resources.StepResult.Succeeded();
        };

        await Assert.ThrowsAsync<RpcException>(() => Host.Client.ExecuteAsync(request).ResponseAsync);
        _writesBroken = false;
        var retry = await Record.ExceptionAsync(() => Host.Client.ExecuteAsync(request).ResponseAsync);

        Assert.Equal(1, Host.Steps.Count("execute", "s-twice"));
        Assert.Equal(StatusCode.Unavailable, Assert.IsType<RpcException>(retry).StatusCode);
        Assert.Single(Host.FailStop.Stops);
    }
}
