using Grpc.Core;
using TwoPC.Participant.Storage;
using TwoPC.Participant.Tests.Infrastructure;
using TwoPC.Participant.Tests.TwoPhase;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Participant.Tests.Recovery;

public sealed class InDoubtRecoveryTests : StubCoordinatorTest
{
    private async Task PrepareThenStopAsync(string path, params string[] transactions)
    {
        await using var first = await ParticipantHost.StartAsync(path);
        foreach (var tx in transactions)
        {
            var request = PrepareTests.Prepare(tx);
            request.CoordinatorAddress = Coordinator.Address.ToString();
            Assert.Equal(P.Vote.Prepared, (await first.Client.PrepareAsync(request)).Vote);
        }
    }

    private static P.TransactionInfo Info(P.TransactionState state) => new() { State = state };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task PreparedRecord_SurvivesRestart_AndRecoveryAppliesTheCoordinatorsOutcome(bool committed)
    {
        var answer = committed ? P.TransactionState.Committed : P.TransactionState.Aborted;
        var op = committed ? "commit" : "abort";
        var final = committed ? BranchStatus.Committed : BranchStatus.Aborted;
        var path = Dir.File("p.db");
        await PrepareThenStopAsync(path, "tx-r");
        Coordinator.OnGetTransaction = _ => Info(answer);

        await using var second = await ParticipantHost.StartAsync(path);
        await Eventually.WaitUntilAsync(() => second.Resource.Count(op, "tx-r") == 1, op + " applied by recovery");

        Assert.Equal(1, second.Resource.Count("recover", "tx-r"));
        Assert.Equal(new byte[] { 7 }, second.Resource.RecoveredState);
        Assert.Equal("recover", second.Resource.Calls.First().Op);
        var asked = (P.GetTransactionRequest)Coordinator.Received.First(r => r.Method == "GetTransaction").Request;
        Assert.True(asked.ResolveInDoubt);
        Assert.Equal("tx-r", asked.TransactionId);
        await Eventually.WaitUntilAsync(() => BranchDocuments.Find(second.Store.Database, "tx-r", 1)?.Status == final, "final record written");
    }

    [Fact]
    public async Task InDoubt_CoordinatorStillPreparing_RetriesWithBackoffUntilDecided()
    {
        var path = Dir.File("p.db");
        await PrepareThenStopAsync(path, "tx-wait");
        var answers = 0;
        Coordinator.OnGetTransaction = _ => Interlocked.Increment(ref answers) <= 2
            ? Info(P.TransactionState.Preparing)
            : Info(P.TransactionState.Committing);

        await using var second = await ParticipantHost.StartAsync(path);
        await Eventually.WaitUntilAsync(() => second.Resource.Count("commit", "tx-wait") == 1, "commit after PREPARING answers");
        Assert.Equal(3, Coordinator.Count("GetTransaction"));
    }

    [Fact]
    public async Task InDoubt_UnreachableCoordinator_DoesNotStallOtherBranches()
    {
        var path = Dir.File("p.db");
        await PrepareThenStopAsync(path, "tx-ok");
        await using (var first = await ParticipantHost.StartAsync(path))
        {
            var request = PrepareTests.Prepare("tx-unreachable");
            request.CoordinatorAddress = "http://127.0.0.1:1";
            await first.Client.PrepareAsync(request);
        }

        Coordinator.OnGetTransaction = _ => Info(P.TransactionState.Aborted);
        await using var second = await ParticipantHost.StartAsync(path);
        await Eventually.WaitUntilAsync(() => second.Resource.Count("abort", "tx-ok") == 1, "reachable branch resolved");
        Assert.Equal(BranchStatus.Prepared, BranchDocuments.Find(second.Store.Database, "tx-unreachable", 1)!.Status);
    }

    [Fact]
    public async Task InDoubt_CoordinatorErrors_AreRetried()
    {
        var path = Dir.File("p.db");
        await PrepareThenStopAsync(path, "tx-err");
        var calls = 0;
        Coordinator.OnGetTransaction = _ => Interlocked.Increment(ref calls) == 1
            ? throw new RpcException(new Status(StatusCode.Unavailable, "down"))
            : Info(P.TransactionState.Committed);

        await using var second = await ParticipantHost.StartAsync(path);
        await Eventually.WaitUntilAsync(() => second.Resource.Count("commit", "tx-err") == 1, "commit after an error");
    }

    [Fact]
    public async Task WhileRunning_BranchPreparedTooLong_IsResolved()
    {
        Coordinator.OnGetTransaction = _ => Info(P.TransactionState.Aborting);
        await using var host = await ParticipantHost.StartAsync(Dir.File("p.db"), o => o.InDoubtCheckAfter = TimeSpan.FromMilliseconds(100));
        var request = PrepareTests.Prepare("tx-stuck");
        request.CoordinatorAddress = Coordinator.Address.ToString();
        await host.Client.PrepareAsync(request);

        await Eventually.WaitUntilAsync(() => host.Resource.Count("abort", "tx-stuck") == 1, "stuck branch aborted");
    }

    [Fact]
    public async Task Recovery_UsesOptionsCoordinator_WhenTheRecordHasNone()
    {
        var path = Dir.File("p.db");
        await using (var first = await ParticipantHost.StartAsync(path))
        {
            var request = PrepareTests.Prepare("tx-noaddr");
            request.CoordinatorAddress = "";
            await first.Client.PrepareAsync(request);
        }

        Coordinator.OnGetTransaction = _ => Info(P.TransactionState.Committed);
        await using var second = await ParticipantHost.StartAsync(path, o => o.CoordinatorAddress = Coordinator.Address);
        await Eventually.WaitUntilAsync(() => second.Resource.Count("commit", "tx-noaddr") == 1, "commit via the options' coordinator");
    }
}
