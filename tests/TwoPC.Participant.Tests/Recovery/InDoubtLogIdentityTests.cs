using Grpc.Core;
using LiteDB;
using TwoPC.Participant.Storage;
using TwoPC.Participant.Tests.Infrastructure;
using TwoPC.Participant.Tests.TwoPhase;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Participant.Tests.Recovery;

/// <summary>
/// The coordinator's decision-log identity: kept in the prepared record, sent back with every in-doubt query, and a
/// "log mismatch" answer keeps the branch prepared.
/// </summary>
public sealed class InDoubtLogIdentityTests : StubCoordinatorTest
{
    private static RpcException Mismatch(string answeredLogId) => new(
        new Status(StatusCode.FailedPrecondition, "log mismatch"),
        new Metadata { { "twopc-error", "log-mismatch" }, { "twopc-log-id", answeredLogId } });

    private async Task PrepareThenStopAsync(string path, string tx, string logId)
    {
        await using var first = await ParticipantHost.StartAsync(path);
        var request = PrepareTests.Prepare(tx);
        request.CoordinatorAddress = Coordinator.Address.ToString();
        request.LogId = logId;
        Assert.Equal(P.Vote.Prepared, (await first.Client.PrepareAsync(request)).Vote);
        Assert.Equal(logId, BranchDocuments.Find(first.Store.Database, tx, 1)!.LogId);
    }

    private long Counter(ParticipantHost host, string name) =>
        host.Diagnostics.GetStats(new P.GetStatsRequest()).Counters.GetValueOrDefault(name);

    [Fact]
    public async Task InDoubt_LogMismatch_KeepsTheBranchPrepared_AndAsksAgain_UntilTheRightLogAnswers()
    {
        var path = Dir.File("p.db");
        await PrepareThenStopAsync(path, "tx-logid", "log-a");
        var rightLogIsBack = false;
        Coordinator.OnGetTransaction = _ => Volatile.Read(ref rightLogIsBack) ? new P.TransactionInfo { State = P.TransactionState.Committed } : throw Mismatch("log-b");

        await using var second = await ParticipantHost.StartAsync(path);
        await Eventually.WaitUntilAsync(() => Coordinator.Count("GetTransaction") >= 4, "several in-doubt queries");

        Assert.Equal(BranchStatus.Prepared, BranchDocuments.Find(second.Store.Database, "tx-logid", 1)!.Status);
        Assert.Equal(0, second.Resource.Count("abort", "tx-logid"));
        Assert.Equal(0, second.Resource.Count("commit", "tx-logid"));
        Assert.True(Counter(second, "indoubt.log_mismatch") >= 3);
        Assert.All(Coordinator.Received.Where(r => r.Method == "GetTransaction"), r => Assert.Equal("log-a", ((P.GetTransactionRequest)r.Request).LogId));

        Volatile.Write(ref rightLogIsBack, true);
        await Eventually.WaitUntilAsync(() => second.Resource.Count("commit", "tx-logid") == 1, "commit once the right log answers");
        Assert.Equal(0, second.Resource.Count("abort", "tx-logid"));
    }

    [Fact]
    public async Task InDoubt_RecordWithoutLogId_AsksWithoutOne()
    {
        var path = Dir.File("p.db");
        await PrepareThenStopAsync(path, "tx-nolog", "");
        Coordinator.OnGetTransaction = _ => new P.TransactionInfo { State = P.TransactionState.Aborted };

        await using var second = await ParticipantHost.StartAsync(path);
        await Eventually.WaitUntilAsync(() => second.Resource.Count("abort", "tx-nolog") == 1, "abort");

        Assert.Equal("", ((P.GetTransactionRequest)Coordinator.Received.First(r => r.Method == "GetTransaction").Request).LogId);
    }

    [Fact]
    public async Task Prepare_OverlongLogId_IsInvalidArgument_AndNothingIsPrepared()
    {
        await using var host = await ParticipantHost.StartAsync(Dir.File("p.db"));
        var request = PrepareTests.Prepare("tx-longlog");
        request.LogId = new string('x', 129);

        var error = await Assert.ThrowsAsync<RpcException>(() => host.Client.PrepareAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("log_id", error.Status.Detail);
        Assert.Null(BranchDocuments.Find(host.Store.Database, "tx-longlog", 1));
    }

    [Fact]
    public void PreparedRecord_WrittenBeforeLogIds_StillLoads_WithAnEmptyLogId()
    {
        using (var db = new LiteDatabase(Dir.File("old.db")))
        {
            // The document as stored before the log identity existed (no "logId" field).
            db.GetCollection(BranchDocuments.Collection).Insert(new BsonDocument
            {
                ["_id"] = "tx-old/1", ["tx"] = "tx-old", ["branch"] = 1, ["resource"] = "accounts", ["payload"] = new byte[] { 1 },
                ["state"] = BsonValue.Null, ["coordinator"] = "http://127.0.0.1:1", ["status"] = (int)BranchStatus.Prepared, ["reason"] = "",
                ["tombstone"] = false, ["preparedAt"] = DateTime.UtcNow, ["decidedAt"] = BsonValue.Null,
            });
            db.GetCollection(BranchDocuments.PreparedCollection).Insert(new BsonDocument { ["_id"] = "tx-old/1" });

            var record = Assert.Single(BranchDocuments.FindPrepared(db));
            Assert.Equal(("tx-old", ""), (record.TransactionId, record.LogId));
        }
    }
}
