using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Benchmarks;

/// <summary>A coordinator and N ledger participants as separate processes, with one long-lived channel to each.</summary>
internal sealed class Cluster : IAsyncDisposable
{
    private readonly List<ServiceProcess> _processes = new();
    private readonly List<GrpcChannel> _channels = new();

    private Cluster(string dataDirectory) => DataDirectory = dataDirectory;

    public string DataDirectory { get; }

    public ServiceProcess Coordinator => _processes[0];

    public IReadOnlyList<ServiceProcess> Participants => _processes.Skip(1).ToList();

    public IReadOnlyList<ServiceProcess> Processes => _processes;

    public P.Coordinator.CoordinatorClient CoordinatorClient { get; private set; } = null!;

    public IReadOnlyList<P.Participant.ParticipantClient> ParticipantClients { get; private set; } = [];

    private List<P.Diagnostics.DiagnosticsClient> Diagnostics { get; } = new();

    /// <summary>
    /// Starts the coordinator (over its LiteDB file, or over PostgreSQL when <paramref name="postgreSql"/> is a
    /// connection string) and <paramref name="participants"/> ledger participants.
    /// </summary>
    public static async Task<Cluster> StartAsync(int participants, CancellationToken cancellationToken, string? postgreSql = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), "twopc-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var cluster = new Cluster(dir);
        try
        {
            var coordinatorDll = ProcessLocator.Find("TwoPC.Coordinator", "coordinator/TwoPC.Coordinator");
            var participantDll = ProcessLocator.Find("TwoPC.TestParticipant", "tests/TwoPC.TestParticipant");
            cluster._processes.Add(StartCoordinator(coordinatorDll, dir, postgreSql));
            for (var i = 0; i < participants; i++)
            {
                cluster._processes.Add(ServiceProcess.Start($"participant{i + 1}", participantDll,
                [
                    $"--TwoPC:Participant:DataPath={Path.Combine(dir, $"participant{i + 1}.db")}",
                    $"--TwoPC:Participant:CoordinatorAddress={cluster._processes[0].Address}",
                    "--Ledger:InitialBalance=1000000000000",
                ]));
            }

            foreach (var p in cluster._processes)
            {
                var channel = CreateChannel(p.Address);
                cluster._channels.Add(channel);
                cluster.Diagnostics.Add(new P.Diagnostics.DiagnosticsClient(channel));
            }

            cluster.CoordinatorClient = new P.Coordinator.CoordinatorClient(cluster._channels[0]);
            cluster.ParticipantClients = cluster._channels.Skip(1).Select(c => new P.Participant.ParticipantClient(c)).ToList();
            await cluster.WaitReadyAsync(cancellationToken).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>One HTTP/2 channel per process; more connections open when the stream limit is reached.</summary>
    public static GrpcChannel CreateChannel(Uri address) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            ConnectTimeout = TimeSpan.FromSeconds(2),
        },
    });

    /// <summary>Counters of every process, coordinator first.</summary>
    public async Task<IReadOnlyList<P.GetStatsResponse>> StatsAsync(CancellationToken cancellationToken)
    {
        var calls = Diagnostics.Select(d => d.GetStatsAsync(new P.GetStatsRequest(), deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken).ResponseAsync);
        return await Task.WhenAll(calls).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _channels) c.Dispose();
        foreach (var p in _processes) p.Dispose();
        await Task.Yield();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static ServiceProcess StartCoordinator(string dll, string dir, string? postgreSql)
    {
        // The coordinator advertises its own address in Prepare; Start fills in the port it picked.
        List<string> args =
        [
            $"--TwoPC:Coordinator:DataPath={Path.Combine(dir, "coordinator.db")}",
            "--TwoPC:Coordinator:AdvertisedAddress={address}",
        ];
        if (postgreSql is not null)
        {
            args.AddRange(["--TwoPC:Coordinator:Storage=PostgreSql", $"--TwoPC:Coordinator:PostgreSql:ConnectionString={postgreSql}",
                $"--TwoPC:Coordinator:PostgreSql:Schema=bench_{Guid.NewGuid().ToString("N")[..12]}"]);
        }

        return ServiceProcess.Start("coordinator", dll, args);
    }

    private async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < _processes.Count; i++)
        {
            while (true)
            {
                if (_processes[i].HasExited) throw new InvalidOperationException($"{_processes[i].Name} exited at start:\n{_processes[i].Tail}");
                try
                {
                    await Diagnostics[i].GetStatsAsync(new P.GetStatsRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (RpcException) when (clock.Elapsed < TimeSpan.FromSeconds(60))
                {
                    await Task.Delay(100, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }
}
