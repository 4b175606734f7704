using LiteDB;
using TwoPC.Participant.Storage;
using TwoPC.Participant.Tests.Infrastructure;
using TwoPC.Participant.Tests.TwoPhase;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Participant.Tests.Recovery;

/// <summary>The in-doubt resolver's background loop logs unexpected errors and goes on.</summary>
public sealed class InDoubtLoopTests : StubCoordinatorTest
{
    [Fact]
    public async Task WhileRunning_AnUnreadablePreparedRecord_DoesNotStopTheScan()
    {
        Coordinator.OnGetTransaction = _ => new P.TransactionInfo { State = P.TransactionState.Aborted };
        await using var host = await ParticipantHost.StartAsync(Dir.File("p.db"), o => o.InDoubtCheckAfter = TimeSpan.FromMilliseconds(100));
        // A prepared record that cannot be read (no preparedAt): every scan meets it, several times before the later
        // branch below is old enough to be resolved (scans run every InDoubtCheckAfter / 4).
        host.Store.Database.GetCollection(BranchDocuments.Collection).Insert(new BsonDocument
        {
            ["_id"] = "tx-bad/1", ["tx"] = "tx-bad", ["branch"] = 1, ["status"] = (int)BranchStatus.Prepared,
        });
        host.Store.Database.GetCollection(BranchDocuments.PreparedCollection).Insert(new BsonDocument { ["_id"] = "tx-bad/1" });

        var request = PrepareTests.Prepare("tx-after");
        request.CoordinatorAddress = Coordinator.Address.ToString();
        await host.Client.PrepareAsync(request);

        await Eventually.WaitUntilAsync(() => host.Resource.Count("abort", "tx-after") == 1, "the later branch resolved by the scan");
    }
}
