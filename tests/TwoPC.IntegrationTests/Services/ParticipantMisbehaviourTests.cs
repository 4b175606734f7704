using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TwoPC.IntegrationTests.Support;
using TwoPC.Protocol.V1;

namespace TwoPC.IntegrationTests.Services;

/// <summary>A coordinator whose participant calls time out after 1 s, for participants that never answer.</summary>
public sealed class ShortCallTimeoutFixture : CoordinatorFixture
{
    protected override string[] Arguments => ["--TwoPC:Coordinator:ParticipantCallTimeout=00:00:01"];
}

/// <summary>
/// Participants that misbehave (hosted in the test: an invalid vote, a Prepare that never returns, bytes that are not
/// HTTP/2) and clients that repeat themselves: the coordinator aborts with a reason, the well-behaved branch is
/// aborted and never committed.
/// </summary>
public sealed class ParticipantMisbehaviourTests(ShortCallTimeoutFixture fixture) : IClassFixture<ShortCallTimeoutFixture>
{
    private TwoPC.Protocol.V1.Coordinator.CoordinatorClient Client => new(fixture.Coordinator.Channel);

    [Fact]
    public async Task Prepare_AnsweredWithAnInvalidVote_AbortsNamingTheVote_AndTheOtherBranchIsNotCommitted()
    {
        await using var bad = await FakeParticipant.StartAsync(_ => new PrepareResponse { Vote = (Vote)42 });
        await using var good = await FakeParticipant.StartAsync(_ => new PrepareResponse { Vote = Vote.Prepared });

        var commit = await CommitTwoBranchesAsync(bad.Address, good.Address);

        Assert.Equal(Outcome.Aborted, commit.Outcome);
        Assert.Contains("invalid vote", commit.Reason);
        Assert.Equal(0, good.Commits);
    }

    [Fact]
    public async Task Prepare_NeverAnswered_AbortsAfterTheCallTimeout_AndTheOtherBranchIsNotCommitted()
    {
        await using var hung = await FakeParticipant.StartAsync(_ => throw new InvalidOperationException("unreachable"), hang: true);
        await using var good = await FakeParticipant.StartAsync(_ => new PrepareResponse { Vote = Vote.Prepared });

        var commit = await CommitTwoBranchesAsync(hung.Address, good.Address);

        Assert.Equal(Outcome.Aborted, commit.Outcome);
        Assert.False(string.IsNullOrWhiteSpace(commit.Reason));
        Assert.Equal(0, good.Commits);
    }

    [Fact]
    public async Task Prepare_AnsweredWithGarbageBytes_Aborts_AndTheOtherBranchIsNotCommitted()
    {
        using var garbage = new TcpListener(IPAddress.Loopback, 0);
        garbage.Start();
        var serve = Task.Run(async () =>
        {
            while (true)
            {
                using var socket = await garbage.AcceptSocketAsync();
                await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n\u0000\u00ff\u0013garbage"u8.ToArray());
                socket.Shutdown(SocketShutdown.Both);
            }
        });
        await using var good = await FakeParticipant.StartAsync(_ => new PrepareResponse { Vote = Vote.Prepared });

        var commit = await CommitTwoBranchesAsync(new Uri($"http://127.0.0.1:{((IPEndPoint)garbage.LocalEndpoint).Port}"), good.Address);

        Assert.Equal(Outcome.Aborted, commit.Outcome);
        Assert.False(string.IsNullOrWhiteSpace(commit.Reason));
        Assert.Equal(0, good.Commits);
        garbage.Stop();
    }

    [Fact]
    public async Task Begin_TwiceWithTheSameIdempotencyKey_ReturnsTheSameTransaction()
    {
        var key = Guid.NewGuid().ToString("N");
        var first = await Client.BeginAsync(new BeginRequest { Mode = TransactionMode.TwoPhase, IdempotencyKey = key });
        var second = await Client.BeginAsync(new BeginRequest { Mode = TransactionMode.TwoPhase, IdempotencyKey = key });
        var other = await Client.BeginAsync(new BeginRequest { Mode = TransactionMode.TwoPhase, IdempotencyKey = key + "x" });

        Assert.Equal(first.TransactionId, second.TransactionId);
        Assert.NotEqual(first.TransactionId, other.TransactionId);
    }

    [Fact]
    public async Task Enlist_IntoAnAbortedTransaction_IsFailedPrecondition_AndAddsNoBranch()
    {
        var id = (await Client.BeginAsync(new BeginRequest { Mode = TransactionMode.TwoPhase })).TransactionId;
        await Client.AbortAsync(new AbortRequest { TransactionId = id, Reason = "test" });

        var error = await Assert.ThrowsAsync<RpcException>(() => Client.EnlistAsync(new EnlistRequest { TransactionId = id, ParticipantAddress = "http://127.0.0.1:1", Resource = "r" }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains(id, error.Status.Detail);
        Assert.Empty((await Client.GetTransactionAsync(new GetTransactionRequest { TransactionId = id })).Branches);
    }

    // The transaction's timeout is 5 s: a participant whose Prepare fails at the transport level (garbage, no answer) is
    // retried as transient until that deadline, then the transaction aborts.
    private async Task<CommitResponse> CommitTwoBranchesAsync(Uri first, Uri second)
    {
        var id = (await Client.BeginAsync(new BeginRequest { Mode = TransactionMode.TwoPhase, Timeout = new Google.Protobuf.WellKnownTypes.Duration { Seconds = 5 } })).TransactionId;
        await Client.EnlistAsync(new EnlistRequest { TransactionId = id, ParticipantAddress = first.ToString().TrimEnd('/'), Resource = "r" });
        await Client.EnlistAsync(new EnlistRequest { TransactionId = id, ParticipantAddress = second.ToString().TrimEnd('/'), Resource = "r" });
        return await Client.CommitAsync(new CommitRequest { TransactionId = id }, deadline: DateTime.UtcNow.AddSeconds(60));
    }

    /// <summary>A participant endpoint in the test process whose Prepare answer the test chooses; counts Commit calls.</summary>
    private sealed class FakeParticipant(Func<PrepareRequest, PrepareResponse> prepare, bool hang) : TwoPC.Protocol.V1.Participant.ParticipantBase, IAsyncDisposable
    {
        private WebApplication? _app;
        private int _commits;

        public Uri Address { get; private set; } = null!;

        public int Commits => Volatile.Read(ref _commits);

        public static async Task<FakeParticipant> StartAsync(Func<PrepareRequest, PrepareResponse> prepare, bool hang = false)
        {
            var fake = new FakeParticipant(prepare, hang);
            var port = FreePort();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
            builder.Services.AddGrpc();
            builder.Services.AddSingleton(fake);
            var app = builder.Build();
            app.MapGrpcService<FakeParticipant>();
            await app.StartAsync();
            fake._app = app;
            fake.Address = new Uri($"http://127.0.0.1:{port}");
            return fake;
        }

        public override async Task<PrepareResponse> Prepare(PrepareRequest request, ServerCallContext context)
        {
            if (hang) await Task.Delay(Timeout.Infinite, context.CancellationToken);
            return prepare(request);
        }

        public override Task<BranchAck> Commit(BranchRequest request, ServerCallContext context)
        {
            Interlocked.Increment(ref _commits);
            return Task.FromResult(new BranchAck());
        }

        public override Task<BranchAck> Abort(BranchRequest request, ServerCallContext context) => Task.FromResult(new BranchAck());

        public async ValueTask DisposeAsync()
        {
            if (_app is not null) await _app.DisposeAsync();
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
