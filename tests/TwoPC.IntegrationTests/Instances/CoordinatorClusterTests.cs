using System.Collections.Concurrent;
using System.Diagnostics;
using LiteDB;
using TwoPC.Client;
using TwoPC.Coordinator.Tests.PostgreSql;
using TwoPC.IntegrationTests.Support;
using Xunit.Abstractions;

namespace TwoPC.IntegrationTests.Instances;

/// <summary>
/// Coordinator instances as real processes over one real PostgreSQL decision log: an instance SIGKILLed mid-load has
/// every transaction it owned finished by the others; an instance paused past its lease decides nothing it no longer
/// owns.
/// </summary>
public sealed class CoordinatorClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly PostgreSqlDatabase _db = new();
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "twopc-cluster", Guid.NewGuid().ToString("N"));
    private readonly List<ServiceProcess> _processes = new();
    private readonly List<TwoPcClient> _clients = new();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        await _db.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var c in _clients) c.Dispose();
        foreach (var p in _processes) p.Dispose();
        await _db.DisposeAsync();
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }
    }

    private ServiceProcess Instance(int i, params string[] extra)
    {
        var p = ServiceProcess.Coordinator(Path.Combine(_dir, "c" + i),
        [
            "--TwoPC:Coordinator:Storage=PostgreSql",
            $"--TwoPC:Coordinator:PostgreSql:ConnectionString={_db.ConnectionString}",
            .. extra,
        ]);
        _processes.Add(p);
        return p;
    }

    private ServiceProcess Participant(string name, Uri coordinator)
    {
        var p = ServiceProcess.Participant(name, _dir, coordinator);
        _processes.Add(p);
        return p;
    }

    private TwoPcClient ClientOf(ServiceProcess instance)
    {
        var c = new TwoPcClient(new TwoPcClientOptions { CoordinatorAddress = instance.Address, CallTimeout = TimeSpan.FromSeconds(20) });
        _clients.Add(c);
        return c;
    }

    private Dictionary<string, long> KillAndReadBalances(ServiceProcess participant)
    {
        participant.Kill();
        using var db = new LiteDatabase(new ConnectionString { Filename = Path.Combine(_dir, participant.Name + ".db"), ReadOnly = true });
        return db.GetCollection("accounts").FindAll().ToDictionary(d => d["_id"].AsString, d => d["balance"].AsInt64);
    }

    private static async Task<DistributedTransaction> BeginTransferAsync(TwoPcClient client, ServiceProcess from, ServiceProcess to, string account = "acct")
    {
        var tx = await client.BeginAsync(TimeSpan.FromSeconds(30));
        await tx.EnlistAsync(from.Address, "ledger", Support.Cluster.Ledger(account, -1));
        await tx.EnlistAsync(to.Address, "ledger", Support.Cluster.Ledger(account, 1));
        return tx;
    }

    /// <summary>Polls any live instance (each answers from the shared log) until the transaction is finished.</summary>
    private static async Task<TransactionState> FinishedStateAsync(TwoPcClient client, string id, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                var status = await client.GetTransactionAsync(id, cancellationToken);
                if (status.State is TransactionState.Committed or TransactionState.Aborted) return status.State;
            }
            catch (TwoPcTransactionException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    [Fact]
    public async Task ThreeInstances_OneKilledMidLoad_EveryTransactionItOwnedIsFinishedByTheOthers()
    {
        // Instance 1 kills itself (SIGKILL) right after its first commit is acknowledged by one branch.
        var instances = new[] { Instance(0), Instance(1, "--TwoPC:Faults:Points:2pc.after-first-commit-ack=Crash"), Instance(2) };
        await Task.WhenAll(instances.Select(i => i.StartAsync()));
        var a = Participant("p0", instances[0].Address);
        var b = Participant("p1", instances[0].Address);
        await Task.WhenAll(a.StartAsync(), b.StartAsync());

        var begun = new ConcurrentBag<(string Id, int Instance)>();
        var errors = new ConcurrentBag<string>();
        using var stopLoad = new CancellationTokenSource();
        // Each loop moves money on its own account, so concurrent transfers never vote ABORT on each other's locks.
        async Task LoadAsync(int index, string account)
        {
            var client = ClientOf(instances[index]);
            while (!stopLoad.IsCancellationRequested && !instances[index].HasExited)
            {
                try
                {
                    var tx = await BeginTransferAsync(client, a, b, account);
                    begun.Add((tx.Id, index));
                    await tx.CommitAsync();
                }
                catch (TwoPcTransactionException)
                {
                    // The instance died under this call: its outcome is checked below, from the shared log.
                }
                catch (Exception ex) when (ex is Grpc.Core.RpcException or InvalidOperationException or IOException)
                {
                    errors.Add($"instance {index}: {ex.GetType().Name}: {ex.Message}");
                    await Task.Delay(50);
                }
            }
        }

        var accounts = Enumerable.Range(0, 3).SelectMany(i => new[] { (i, $"acct-{i}-a"), (i, $"acct-{i}-b") }).ToList();
        var load = accounts.Select(x => LoadAsync(x.Item1, x.Item2)).ToList();
        // However the load went, one more transfer at instance 1 reaches its commit and so its crash point.
        string? last = null;
        try
        {
            var tx = await BeginTransferAsync(ClientOf(instances[1]), a, b, "acct-crash");
            begun.Add((tx.Id, 1));
            await tx.CommitAsync();
        }
        catch (Exception ex)
        {
            last = ex.Message;
        }

        try
        {
            await instances[1].WaitForExitAsync(TimeSpan.FromSeconds(60));
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"instance 1 never reached its crash point; last transfer: {last}; load errors: {string.Join("; ", errors.Take(5))}\n--- instance 1:\n{instances[1].Output}");
        }
        var killedAt = Stopwatch.StartNew();
        Assert.Contains("FAULT 2pc.after-first-commit-ack", instances[1].Output);
        await Task.Delay(TimeSpan.FromSeconds(1)); // the survivors keep taking load meanwhile
        stopLoad.Cancel();
        await Task.WhenAll(load);

        var reader = ClientOf(instances[0]);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var owned = begun.Where(t => t.Instance == 1).Select(t => t.Id).ToList();
        var states = new Dictionary<string, TransactionState>();
        foreach (var (id, _) in begun) states[id] = await FinishedStateAsync(reader, id, bound.Token);
        var takeover = killedAt.Elapsed;
        output.WriteLine($"{begun.Count} transactions, {owned.Count} begun at the killed instance; all finished {takeover.TotalSeconds:F1} s after it died");

        Assert.NotEmpty(owned);
        Assert.Contains(owned, id => states[id] == TransactionState.Committed); // the one whose commit crashed it
        var committed = states.Values.Count(s => s == TransactionState.Committed);
        var debit = KillAndReadBalances(a);
        var credit = KillAndReadBalances(b);
        var names = accounts.Select(x => x.Item2).Append("acct-crash").ToList();
        Assert.Equal(names.Count * 1000L - committed, names.Sum(n => debit.GetValueOrDefault(n, 1000)));
        Assert.Equal(names.Count * 1000L + committed, names.Sum(n => credit.GetValueOrDefault(n, 1000)));
    }

    [Fact]
    public async Task AnInstancePausedPastItsLease_IsFenced_ItsCommitNeverLands_AndTheOtherInstanceAbortsEverywhere()
    {
        string[] fast = ["--TwoPC:Coordinator:LeaseDuration=00:00:02", "--TwoPC:Coordinator:LeaseRenewInterval=00:00:00.250", "--TwoPC:Coordinator:TakeoverScanInterval=00:00:00.250"];
        // Instance A stops itself (SIGSTOP) with every vote in and the COMMIT decision not yet written.
        var paused = Instance(0, [.. fast, "--TwoPC:Faults:Points:2pc.votes-in=Pause"]);
        paused.OwnSession = true;
        var other = Instance(1, fast);
        await Task.WhenAll(paused.StartAsync(), other.StartAsync());
        var a = Participant("p0", other.Address);
        var b = Participant("p1", other.Address);
        await Task.WhenAll(a.StartAsync(), b.StartAsync());

        var tx = await BeginTransferAsync(ClientOf(paused), a, b);
        var commit = tx.CommitAsync();
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (!paused.Output.Contains("FAULT 2pc.votes-in pause", StringComparison.Ordinal)) await Task.Delay(20, wait.Token);
            while (!paused.IsStopped)
            {
                Assert.False(paused.HasExited, "the instance exited instead of pausing:\n" + paused.Output);
                await Task.Delay(10, wait.Token);
            }
        }

        // The other instance claims the undecided transaction once A's lease expires, and aborts it everywhere.
        using var takeover = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var state = await FinishedStateAsync(ClientOf(other), tx.Id, takeover.Token);
        Assert.True(state == TransactionState.Aborted, $"the transaction is {state} while its deciding instance is paused\n--- paused:\n{paused.Output}\n--- other:\n{other.Output}");

        // A wakes up believing it may write COMMIT: the write is fenced, and A stops.
        paused.Signal("CONT");
        await paused.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var answer = await Record.ExceptionAsync(() => commit);
        Assert.True(answer is not null || !(await commit).IsCommitted, "the paused instance answered committed");

        Assert.Equal(TransactionState.Aborted, (await ClientOf(other).GetTransactionAsync(tx.Id)).State);
        Assert.Equal(1000, KillAndReadBalances(a).GetValueOrDefault("acct", 1000));
        Assert.Equal(1000, KillAndReadBalances(b).GetValueOrDefault("acct", 1000));
        Assert.Contains("lost", paused.Output, StringComparison.OrdinalIgnoreCase);
    }
}
