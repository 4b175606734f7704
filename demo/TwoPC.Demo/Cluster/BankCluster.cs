using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using TwoPC.Demo.Protocol.V1;
using TwoPC.Client;

namespace TwoPC.Demo.Cluster;

/// <summary>A bank process and the demo's clients for it.</summary>
internal sealed class BankNode(string name, Uri address, ChildProcess process) : IDisposable
{
    // Large enough for the Ledger of a long soak (every applied transfer).
    private readonly GrpcChannel _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 256 * 1024 * 1024 });

    public string Name { get; } = name;

    public Uri Address { get; } = address;

    public ChildProcess Process { get; } = process;

    public Bank.BankClient Client => new(_channel);

    public void Dispose()
    {
        Process.Dispose();
        _channel.Dispose();
    }
}

/// <summary>
/// The coordinator and two banks (bank-a, bank-b) as child processes on free loopback ports, with their data files
/// in one folder. Any of them can be killed and restarted on the same port and file. With a PostgreSQL connection
/// string, the coordinator is several instances sharing that database as their decision log (a cluster): the
/// clients and banks know every instance, and any instance can be killed for good while the others take over.
/// </summary>
internal sealed class BankCluster : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private BankCluster(IReadOnlyList<ChildProcess> instances, IReadOnlyList<Uri> addresses, BankNode a, BankNode b, int accounts, long initialBalance)
    {
        Instances = instances;
        InstanceAddresses = addresses;
        Coordinator = instances[0];
        CoordinatorAddress = addresses[0];
        A = a;
        B = b;
        ExpectedTotal = 2L * accounts * initialBalance;
        // One client per instance, each asking its own instance first: the load is spread, and each transaction is
        // owned by the instance that began it.
        _clients = addresses.Select((_, i) => new TwoPcClient(new TwoPcClientOptions
        {
            CoordinatorAddresses = [.. addresses.Skip(i), .. addresses.Take(i)],
            CompletionTimeout = TimeSpan.FromSeconds(30),
        })).ToList();
        CoordinatorChannel = GrpcChannel.ForAddress(CoordinatorAddress);
    }

    private readonly List<TwoPcClient> _clients;

    /// <summary>Every coordinator instance (one without a shared log).</summary>
    public IReadOnlyList<ChildProcess> Instances { get; }

    /// <summary>Their addresses, in the same order.</summary>
    public IReadOnlyList<Uri> InstanceAddresses { get; }

    /// <summary>The client for the <paramref name="index"/>-th unit of work: instances take turns.</summary>
    public TwoPcClient ClientFor(int index) => _clients[index % _clients.Count];

    /// <summary>A raw channel to the coordinator (for calls the client SDK does not offer, like ListTransactions).</summary>
    public GrpcChannel CoordinatorChannel { get; }

    /// <summary>Both banks, in a fixed order (index 0 = bank-a).</summary>
    public IReadOnlyList<BankNode> Banks => [A, B];

    public ChildProcess Coordinator { get; }

    public Uri CoordinatorAddress { get; }

    public BankNode A { get; }

    public BankNode B { get; }

    public TwoPcClient Client => _clients[0];

    /// <summary>The money in the system: it never changes.</summary>
    public long ExpectedTotal { get; }

    public static async Task<BankCluster> StartAsync(Binaries binaries, string dataDir, int accounts, long initialBalance, CancellationToken cancellationToken,
        int instances = 1, string? postgreSql = null)
    {
        Directory.CreateDirectory(dataDir);
        var addresses = Enumerable.Range(0, instances).Select(_ => Loopback(ChildProcess.FreePort())).ToList();
        // Each cluster gets its own schema in the shared database: a fresh decision log.
        var schema = "demo_" + Guid.NewGuid().ToString("N")[..12];
        var coordinators = addresses.Select((address, i) =>
        {
            var name = instances == 1 ? "coordinator" : $"coordinator-{i + 1}";
            List<string> args =
            [
                "--urls", address.ToString().TrimEnd('/'),
                $"--TwoPC:Coordinator:DataPath={Path.Combine(dataDir, name + ".db")}",
                $"--TwoPC:Coordinator:AdvertisedAddress={address}",
                "--TwoPC:Coordinator:RetryMaxDelay=00:00:01",
                "--Logging:LogLevel:Default=Warning",
            ];
            if (postgreSql is not null)
                args.AddRange(["--TwoPC:Coordinator:Storage=PostgreSql", $"--TwoPC:Coordinator:PostgreSql:ConnectionString={postgreSql}", $"--TwoPC:Coordinator:PostgreSql:Schema={schema}"]);
            return new ChildProcess(name, binaries.CoordinatorDll, args, Path.Combine(dataDir, name + ".log"));
        }).ToList();
        var coordinatorAddress = addresses[0];

        BankNode Bank(string name)
        {
            var address = Loopback(ChildProcess.FreePort());
            var process = new ChildProcess(name, binaries.BankDll,
            [
                "--urls", address.ToString().TrimEnd('/'),
                $"--TwoPC:Participant:DataPath={Path.Combine(dataDir, name + ".db")}",
                $"--TwoPC:Participant:CoordinatorAddress={coordinatorAddress}",
                .. addresses.Skip(1).Select((a, i) => $"--TwoPC:Participant:CoordinatorAddresses:{i}={a}"),
                "--TwoPC:Participant:InDoubtCheckAfter=00:00:03",
                "--TwoPC:Participant:InDoubtRetryMax=00:00:01",
                $"--Bank:Name={name}",
                $"--Bank:Accounts={accounts.ToString(CultureInfo.InvariantCulture)}",
                $"--Bank:InitialBalance={initialBalance.ToString(CultureInfo.InvariantCulture)}",
                "--Logging:LogLevel:Default=Warning",
            ], Path.Combine(dataDir, name + ".log"));
            return new BankNode(name, address, process);
        }

        var cluster = new BankCluster(coordinators, addresses, Bank("bank-a"), Bank("bank-b"), accounts, initialBalance);
        try
        {
            foreach (var c in coordinators) c.Start();
            cluster.A.Process.Start();
            cluster.B.Process.Start();
            await Task.WhenAll(coordinators.Select((_, i) => cluster.WaitInstanceReadyAsync(i, cancellationToken))
                .Append(cluster.WaitBankReadyAsync(cluster.A, cancellationToken)).Append(cluster.WaitBankReadyAsync(cluster.B, cancellationToken))).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    /// <summary>Kills the coordinator and starts it again on the same port and log; returns the downtime.</summary>
    public async Task<TimeSpan> RestartCoordinatorAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        Coordinator.Kill();
        Coordinator.Start();
        await WaitCoordinatorReadyAsync(cancellationToken).ConfigureAwait(false);
        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>Kills coordinator instance <paramref name="index"/> for good (SIGKILL): the others take over its transactions.</summary>
    public void KillInstance(int index) => Instances[index].Kill();

    /// <summary>Kills a bank and starts it again on the same port and data file; returns the downtime.</summary>
    public async Task<TimeSpan> RestartBankAsync(BankNode bank, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        bank.Process.Kill();
        bank.Process.Start();
        await WaitBankReadyAsync(bank, cancellationToken).ConfigureAwait(false);
        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>Both banks' totals (read without locks) and the locks they hold.</summary>
    public async Task<(long Total, int LocksHeld)> ReadBalancesAsync(CancellationToken cancellationToken)
    {
        var a = A.Client.BalancesAsync(new BalancesRequest(), deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellationToken).ResponseAsync;
        var b = B.Client.BalancesAsync(new BalancesRequest(), deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellationToken).ResponseAsync;
        var (ra, rb) = (await a.ConfigureAwait(false), await b.ConfigureAwait(false));
        return (ra.Total + rb.Total, ra.LocksHeld + rb.LocksHeld);
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
        foreach (var c in Instances) c.Dispose();
        foreach (var c in _clients) c.Dispose();
        CoordinatorChannel.Dispose();
    }

    private Task WaitCoordinatorReadyAsync(CancellationToken cancellationToken) => WaitInstanceReadyAsync(0, cancellationToken);

    private Task WaitInstanceReadyAsync(int index, CancellationToken cancellationToken) =>
        WaitReadyAsync(Instances[index], async () =>
        {
            try
            {
                using var probe = new TwoPcClient(new TwoPcClientOptions { CoordinatorAddress = InstanceAddresses[index] });
                await probe.GetTransactionAsync(new string('0', 32), cancellationToken).ConfigureAwait(false);
            }
            catch (TransactionNotFoundException)
            {
                // Answered: it is up.
            }
        }, cancellationToken);

    private Task WaitBankReadyAsync(BankNode bank, CancellationToken cancellationToken) =>
        WaitReadyAsync(bank.Process, () => bank.Client.BalancesAsync(new BalancesRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken).ResponseAsync,
            cancellationToken);

    private static async Task WaitReadyAsync(ChildProcess process, Func<Task> probe, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"{process.Name} exited while starting; log {process.LogPath}:\n{process.Tail()}");
            try
            {
                await probe().ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is RpcException or TwoPcTransactionException && !timeout.IsCancellationRequested)
            {
                // Not listening yet: poll again.
            }

            try
            {
                await Task.Delay(50, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{process.Name} did not answer within {StartTimeout}; log {process.LogPath}:\n{process.Tail()}");
            }
        }
    }

    private static Uri Loopback(int port) => new($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
}
