using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TwoPC.Coordinator.Tests.Support;
using TwoPC.Protocol.V1;

namespace TwoPC.Coordinator.Tests.Protocols.Saga;

/// <summary>A real coordinator (LiteDB log in a temp file) and a fake participant, both on Kestrel over HTTP/2 on 127.0.0.1.</summary>
public sealed class SagaGrpcFixture : IAsyncLifetime
{
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), $"twopc-saga-{Guid.NewGuid():N}.db");
    private WebApplication? _coordinator;
    private WebApplication? _participant;
    private GrpcChannel? _channel;

    internal FakeSagaParticipant Participant { get; } = new();

    internal string ParticipantAddress { get; private set; } = "";

    internal TwoPC.Protocol.V1.Coordinator.CoordinatorClient Client { get; private set; } = null!;

    internal Admin.AdminClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _participant = LoopbackHost.Create(b =>
        {
            b.Services.AddGrpc();
            b.Services.AddSingleton(Participant);
        });
        _participant.MapGrpcService<FakeSagaParticipant>();
        await _participant.StartAsync();
        ParticipantAddress = LoopbackHost.AddressOf(_participant);

        _coordinator = LoopbackHost.Create(b => b.Services.AddTwoPcCoordinator(o =>
        {
            o.DataPath = _dataPath;
            o.RetryInitialDelay = TimeSpan.FromMilliseconds(5);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(50);
        }));
        _coordinator.MapTwoPcCoordinator();
        await _coordinator.StartAsync();
        _channel = GrpcChannel.ForAddress(LoopbackHost.AddressOf(_coordinator));
        Client = new TwoPC.Protocol.V1.Coordinator.CoordinatorClient(_channel);
        Admin = new Admin.AdminClient(_channel);
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_coordinator is not null) await _coordinator.DisposeAsync();
        if (_participant is not null) await _participant.DisposeAsync();
        foreach (var f in Directory.GetFiles(Path.GetDirectoryName(_dataPath)!, Path.GetFileNameWithoutExtension(_dataPath) + "*")) File.Delete(f);
    }
}
