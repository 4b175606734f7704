using System.Collections.Concurrent;
using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Tests.Support;
using TwoPC.Protocol.V1;

namespace TwoPC.Coordinator.Tests.Services;

/// <summary>
/// The log identity over real gRPC: a real coordinator (LiteDB log in a temp file) and a fake 2PC participant, both
/// on Kestrel over HTTP/2 on 127.0.0.1.
/// </summary>
public sealed class LogIdentityGrpcTests : IAsyncLifetime
{
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), $"twopc-logid-{Guid.NewGuid():N}.db");
    private readonly RecordingParticipant _participant = new();
    private WebApplication? _coordinator;
    private WebApplication? _participantHost;
    private GrpcChannel? _channel;
    private string _participantAddress = "";

    private TwoPC.Protocol.V1.Coordinator.CoordinatorClient Client => new(_channel!);

    private string LogId => _coordinator!.Services.GetRequiredService<ITransactionLog>().LogId;

    public async Task InitializeAsync()
    {
        _participantHost = LoopbackHost.Create(b =>
        {
            b.Services.AddGrpc();
            b.Services.AddSingleton(_participant);
        });
        _participantHost.MapGrpcService<RecordingParticipant>();
        await _participantHost.StartAsync();
        _participantAddress = LoopbackHost.AddressOf(_participantHost);

        _coordinator = LoopbackHost.Create(b => b.Services.AddTwoPcCoordinator(o => o.DataPath = _dataPath));
        _coordinator.MapTwoPcCoordinator();
        await _coordinator.StartAsync();
        _channel = GrpcChannel.ForAddress(LoopbackHost.AddressOf(_coordinator));
    }

    [Fact]
    public async Task Prepare_CarriesTheCoordinatorsLogId()
    {
        var begin = new BeginRequest { Mode = TransactionMode.TwoPhase };
        begin.Branches.Add(new EnlistRequest { ParticipantAddress = _participantAddress, Resource = "a" });
        begin.Branches.Add(new EnlistRequest { ParticipantAddress = _participantAddress, Resource = "b" });
        var id = (await Client.BeginAsync(begin)).TransactionId;

        var commit = await Client.CommitAsync(new CommitRequest { TransactionId = id });

        Assert.Equal(Outcome.Committed, commit.Outcome);
        Assert.All(_participant.Prepares.Where(p => p.TransactionId == id), p => Assert.Equal(LogId, p.LogId));
        Assert.Equal(2, _participant.Prepares.Count(p => p.TransactionId == id));
    }

    [Fact]
    public async Task GetTransaction_InDoubt_UnknownIdUnderAnotherLog_IsFailedPreconditionLogMismatch()
    {
        var id = new string('c', 32);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Client.GetTransactionAsync(new GetTransactionRequest { TransactionId = id, ResolveInDoubt = true, LogId = "0123456789abcdef0123456789abcdef" }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal("log-mismatch", error.Trailers.GetValue("twopc-error"));
        Assert.Equal(LogId, error.Trailers.GetValue("twopc-log-id"));
        Assert.Contains("0123456789abcdef0123456789abcdef", error.Status.Detail);
        Assert.Contains(LogId, error.Status.Detail);
        Assert.Contains(id, error.Status.Detail);
    }

    [Fact]
    public async Task GetTransaction_InDoubt_OverlongLogId_IsInvalidArgumentNamingTheField()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Client.GetTransactionAsync(new GetTransactionRequest { TransactionId = new string('e', 32), ResolveInDoubt = true, LogId = new string('x', 129) }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("log_id", error.Trailers.GetValue("twopc-field"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task GetTransaction_InDoubt_UnknownIdUnderThisLog_OrWithoutALogId_IsPresumedAborted(bool sendLogId)
    {
        var info = await Client.GetTransactionAsync(new GetTransactionRequest { TransactionId = new string('d', 32), ResolveInDoubt = true, LogId = sendLogId ? LogId : "" });

        Assert.Equal(Outcome.Aborted, info.Outcome);
        Assert.True(info.PresumedAbort);
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_coordinator is not null) await _coordinator.DisposeAsync();
        if (_participantHost is not null) await _participantHost.DisposeAsync();
        foreach (var f in Directory.GetFiles(Path.GetDirectoryName(_dataPath)!, Path.GetFileNameWithoutExtension(_dataPath) + "*")) File.Delete(f);
    }

    /// <summary>Votes PREPARED, acknowledges phase 2, and records every Prepare.</summary>
    internal sealed class RecordingParticipant : Participant.ParticipantBase
    {
        public ConcurrentQueue<PrepareRequest> Prepares { get; } = new();

        public override Task<PrepareResponse> Prepare(PrepareRequest request, ServerCallContext context)
        {
            Prepares.Enqueue(request);
            return Task.FromResult(new PrepareResponse { Vote = Vote.Prepared, Outcome = request.OnePhase ? Outcome.Committed : Outcome.Unspecified });
        }

        public override Task<BranchAck> Commit(BranchRequest request, ServerCallContext context) =>
            Task.FromResult(new BranchAck { State = BranchState.Committed });

        public override Task<BranchAck> Abort(BranchRequest request, ServerCallContext context) =>
            Task.FromResult(new BranchAck { State = BranchState.Aborted });
    }
}
