using Grpc.Core;
using TwoPC.Participant.Storage;
using TwoPC.Participant.Tests.Infrastructure;
using TwoPC.Participant.Tests.TwoPhase;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Participant.Tests.Recovery;

/// <summary>
/// In-doubt queries with several coordinator instances: the instance in the prepared record first, a named owner
/// followed, then <c>ParticipantOptions.CoordinatorAddress(es)</c> in order; the log identity still decides what counts.
/// </summary>
public sealed class InDoubtFailoverTests : StubCoordinatorTest
{
    /// <summary>Nothing listens on port 1 of 127.0.0.1: connection refused.</summary>
    private const string DeadAddress = "http://127.0.0.1:1";

    private async Task PrepareThenStopAsync(string path, string tx, string recordedCoordinator)
    {
        await using var first = await ParticipantHost.StartAsync(path);
        var request = PrepareTests.Prepare(tx);
        request.CoordinatorAddress = recordedCoordinator;
        request.LogId = "log-a";
        Assert.Equal(P.Vote.Prepared, (await first.Client.PrepareAsync(request)).Vote);
    }

    [Fact]
    public async Task InDoubt_RecordedInstanceDead_AsksTheConfiguredInstance_KeepsAskingWhilePending_AndAppliesItsAnswer()
    {
        var path = Dir.File("p.db");
        await PrepareThenStopAsync(path, "tx-fo", DeadAddress);
        var answers = 0;
        Coordinator.OnGetTransaction = _ => new P.TransactionInfo
        {
            State = Interlocked.Increment(ref answers) <= 2 ? P.TransactionState.Preparing : P.TransactionState.Committed,
        };

        await using var second = await ParticipantHost.StartAsync(path, o => o.CoordinatorAddresses = [new Uri(DeadAddress + "0"), Coordinator.Address]);
        await Eventually.WaitUntilAsync(() => second.Resource.Count("commit", "tx-fo") == 1, "commit from the configured instance");

        Assert.Equal(3, Coordinator.Count("GetTransaction"));
        Assert.Equal(0, second.Resource.Count("abort", "tx-fo"));
        Assert.All(Coordinator.Received.Where(r => r.Method == "GetTransaction"), r =>
        {
            var asked = (P.GetTransactionRequest)r.Request;
            Assert.Equal(("tx-fo", true, "log-a"), (asked.TransactionId, asked.ResolveInDoubt, asked.LogId));
        });
    }

    [Fact]
    public async Task InDoubt_NotOwnerNamingTheOwner_IsFollowed_AndTheOwnersAnswerApplied()
    {
        var path = Dir.File("p.db");
        await using var owner = await StubCoordinator.StartAsync();
        owner.OnGetTransaction = _ => new P.TransactionInfo { State = P.TransactionState.Aborted };
        Coordinator.OnGetTransaction = _ => throw new RpcException(new Status(StatusCode.FailedPrecondition, "not the owner"),
            new Metadata { { "twopc-error", "not-owner" }, { "twopc-owner", owner.Address.ToString() } });
        await PrepareThenStopAsync(path, "tx-redirect", Coordinator.Address.ToString());

        await using var second = await ParticipantHost.StartAsync(path);
        await Eventually.WaitUntilAsync(() => second.Resource.Count("abort", "tx-redirect") == 1, "abort from the owner");

        Assert.Equal(0, second.Resource.Count("commit", "tx-redirect"));
        Assert.Equal("log-a", ((P.GetTransactionRequest)owner.Received.First(r => r.Method == "GetTransaction").Request).LogId);
    }

    [Fact]
    public async Task InDoubt_ConfiguredInstanceOnAnotherLog_IsNoAnswer_TheBranchStaysPrepared()
    {
        var path = Dir.File("p.db");
        await PrepareThenStopAsync(path, "tx-otherlog", DeadAddress);
        Coordinator.OnGetTransaction = _ => throw new RpcException(new Status(StatusCode.FailedPrecondition, "log mismatch"),
            new Metadata { { "twopc-error", "log-mismatch" }, { "twopc-log-id", "log-b" } });

        await using var second = await ParticipantHost.StartAsync(path, o => o.CoordinatorAddress = Coordinator.Address);
        await Eventually.WaitUntilAsync(() => Coordinator.Count("GetTransaction") >= 3, "several in-doubt queries");

        Assert.Equal(BranchStatus.Prepared, BranchDocuments.Find(second.Store.Database, "tx-otherlog", 1)!.Status);
        Assert.Equal(0, second.Resource.Count("abort", "tx-otherlog"));
        Assert.Equal(0, second.Resource.Count("commit", "tx-otherlog"));
    }
}
