using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using TwoPC.Durability;
using TwoPC.Participant.Hosting;
using TwoPC.Participant.Storage;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Participant.Tests.Infrastructure;

/// <summary>A participant on a real Kestrel host with a real LiteDB file, plus a raw gRPC client to it.</summary>
internal sealed class ParticipantHost : IAsyncDisposable
{
    private readonly KestrelHost _host;
    private readonly GrpcChannel _channel;

    private ParticipantHost(KestrelHost host, RecordingFlusher flusher, RecordingFailStop failStop)
    {
        _host = host;
        Flusher = flusher;
        FailStop = failStop;
        _channel = GrpcChannel.ForAddress(host.Address);
        Client = new P.Participant.ParticipantClient(_channel);
        Diagnostics = new P.Diagnostics.DiagnosticsClient(_channel);
    }

    public Uri Address => _host.Address;

    public IServiceProvider Services => _host.Services;

    public RecordingFlusher Flusher { get; }

    /// <summary>Fail-stops of the store (the real host would have ended the process).</summary>
    public RecordingFailStop FailStop { get; }

    public P.Participant.ParticipantClient Client { get; }

    public P.Diagnostics.DiagnosticsClient Diagnostics { get; }

    public TestResource Resource => Services.GetRequiredService<TestResource>();

    public TestStepHandler Steps => Services.GetRequiredService<TestStepHandler>();

    public LiteDbParticipantStore Store => Services.GetRequiredService<LiteDbParticipantStore>();

    public static async Task<ParticipantHost> StartAsync(string dataPath, Action<ParticipantOptions>? configure = null, RecordingFlusher? flusher = null)
    {
        flusher ??= new RecordingFlusher();
        var failStop = new RecordingFailStop();
        var host = await KestrelHost.StartAsync(
            services =>
            {
                services.AddSingleton<IFileFlusher>(flusher);
                services.AddSingleton<IStorageFailStop>(failStop);
                services.AddTwoPcParticipant(o =>
                    {
                        o.InDoubtRetryInitial = TimeSpan.FromMilliseconds(20);
                        o.InDoubtRetryMax = TimeSpan.FromMilliseconds(200);
                        o.InDoubtCheckAfter = TimeSpan.FromHours(1);
                        configure?.Invoke(o);
                    })
                    .UseLiteDbStore(o => o.DataPath = dataPath)
                    .AddResource<TestResource>("accounts")
                    .AddSagaStep<TestStepHandler>("reserve");
            },
            app => app.MapTwoPcParticipant());
        return new ParticipantHost(host, flusher, failStop);
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _host.DisposeAsync();
    }
}
