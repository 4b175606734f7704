using LiteDB;
using TwoPC.Client;

namespace TwoPC.IntegrationTests.Support;

/// <summary>A coordinator and N ledger participants as real processes, with data in a temp folder.</summary>
internal sealed class Cluster : IAsyncDisposable
{
    private Cluster(string dataDir, ServiceProcess coordinator, IReadOnlyList<ServiceProcess> participants)
    {
        DataDir = dataDir;
        Coordinator = coordinator;
        Participants = participants;
        Client = new TwoPcClient(new TwoPcClientOptions { CoordinatorAddress = coordinator.Address, CallTimeout = TimeSpan.FromSeconds(20) });
    }

    public string DataDir { get; }

    public ServiceProcess Coordinator { get; }

    public IReadOnlyList<ServiceProcess> Participants { get; }

    public TwoPcClient Client { get; }

    public static async Task<Cluster> StartAsync(int participants, string[]? coordinatorArgs = null, Func<int, string[]>? participantArgs = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), "twopc-it", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var coordinator = ServiceProcess.Coordinator(dir, coordinatorArgs ?? []);
        var list = Enumerable.Range(0, participants).Select(i => ServiceProcess.Participant($"p{i}", dir, coordinator.Address, participantArgs?.Invoke(i) ?? [])).ToList();
        var cluster = new Cluster(dir, coordinator, list);
        await Task.WhenAll(list.Select(p => p.StartAsync()).Append(coordinator.StartAsync()));
        return cluster;
    }

    /// <summary>Begins a transfer that debits <paramref name="amount"/> on participant 0 and credits the others.</summary>
    public async Task<DistributedTransaction> BeginTransferAsync(string account, long amount, TimeSpan? timeout = null)
    {
        var tx = await Client.BeginAsync(timeout ?? TimeSpan.FromSeconds(30));
        for (var i = 0; i < Participants.Count; i++)
        {
            var delta = i == 0 ? -amount : amount;
            await tx.EnlistAsync(Participants[i].Address, "ledger", Ledger(account, delta));
        }

        return tx;
    }

    /// <summary>
    /// Waits until the coordinator exits at a Crash fault point; if it does not, fails with the client's
    /// <paramref name="answer"/> and every process's output, so the cause is in the test's message.
    /// </summary>
    public async Task WaitForCoordinatorCrashAsync(TimeSpan timeout, string answer)
    {
        try
        {
            await Coordinator.WaitForExitAsync(timeout);
        }
        catch (OperationCanceledException)
        {
            var outputs = string.Join("\n", Participants.Select(p => $"--- {p.Name}:\n{p.Output}"));
            Assert.Fail($"the coordinator did not crash within {timeout}; the client heard: {answer}\n--- coordinator:\n{Coordinator.Output}\n{outputs}");
        }
    }

    /// <summary>The ledger payload "account:delta".</summary>
    public static byte[] Ledger(string account, long delta) => System.Text.Encoding.UTF8.GetBytes($"{account}:{delta}");

    /// <summary>
    /// Waits until the coordinator reports the transaction in <paramref name="state"/>. Errors while processes restart
    /// are retried until the timeout; the last one is in the timeout's message.
    /// </summary>
    public async Task<TransactionStatus> WaitForStateAsync(string id, TransactionState state, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        TransactionStatus? last = null;
        Exception? lastError = null;
        while (true)
        {
            try
            {
                last = await Client.GetTransactionAsync(id, cts.Token);
                if (last.State == state) return last;
            }
            catch (Exception ex) when (!cts.IsCancellationRequested)
            {
                lastError = ex;
            }

            if (cts.IsCancellationRequested)
                throw new TimeoutException($"transaction {id} did not reach {state}; last seen {last?.State}; last error {lastError?.Message}\n{Coordinator.Output}");
            await Task.Delay(20, CancellationToken.None);
        }
    }

    /// <summary>Kills participant <paramref name="index"/> and reads its committed balances from its file.</summary>
    public Dictionary<string, long> KillAndReadBalances(int index)
    {
        Participants[index].Kill();
        using var db = new LiteDatabase(new ConnectionString { Filename = Path.Combine(DataDir, $"p{index}.db"), ReadOnly = true });
        return db.GetCollection("accounts").FindAll().ToDictionary(d => d["_id"].AsString, d => d["balance"].AsInt64);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Coordinator.Dispose();
        foreach (var p in Participants) p.Dispose();
        await Task.Yield();
        try
        {
            Directory.Delete(DataDir, true);
        }
        catch (IOException)
        {
        }
    }
}
