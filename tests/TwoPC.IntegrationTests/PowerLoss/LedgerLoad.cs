using System.Collections.Concurrent;
using TwoPC.IntegrationTests.Support;
using TwoPC.Client;

namespace TwoPC.IntegrationTests.PowerLoss;

/// <summary>What a client was told about its transaction.</summary>
internal enum Told
{
    /// <summary>No answer (the call failed or was cut off): the outcome is not known to the client.</summary>
    Nothing,
    Committed,
    Aborted,
}

/// <summary>A 2PC transfer: debit <see cref="Amount"/> of <see cref="Account"/> at p0, credit it at p1.</summary>
internal sealed record Transfer(string Id, string Account, long Amount, int Round)
{
    public Told Told { get; set; }
}

/// <summary>A saga transfer: step "debit" at p0, then "credit" at p1, each compensated by its inverse.</summary>
internal sealed record SagaTransfer(string Key, string Account, long Amount, int Round)
{
    public string? Id { get; set; }

    public SagaOutcome? Told { get; set; }
}

/// <summary>
/// Concurrent clients moving money from p0 to p1: mostly 2PC transfers, one in five a saga. The 2PC transfers share
/// a few accounts, so that some abort on a locked account; the sagas share two accounts, so that concurrent sagas on
/// one account race their local writes (the ledger persists each delta inside its write, see Ledger.TryApply).
/// Remembers what every client was told.
/// </summary>
internal sealed class LedgerLoad
{
    public const long InitialBalance = 1000;
    public static readonly string[] TransferAccounts = Enumerable.Range(0, 12).Select(i => $"a{i}").ToArray();
    public static readonly string[] SagaAccounts = Enumerable.Range(0, 8).Select(i => $"s{i}").ToArray();

    private int _committed;

    public ConcurrentDictionary<string, Transfer> Transfers { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, SagaTransfer> Sagas { get; } = new(StringComparer.Ordinal);

    /// <summary>2PC transfers a client was told committed, so far.</summary>
    public int Committed => Volatile.Read(ref _committed);

    /// <summary>Runs <paramref name="workers"/> clients until <paramref name="stop"/>; calls cut off by a crash just end.</summary>
    public Task RunAsync(PowerLossCluster cluster, int round, int workers, int seed, CancellationToken stop)
    {
        return Task.WhenAll(Enumerable.Range(0, workers).Select(w =>
            Task.Run(() => WorkerAsync(cluster, round, SagaAccounts[w % 2], new Random(seed * 100 + w), stop), CancellationToken.None)));
    }

    private async Task WorkerAsync(PowerLossCluster cluster, int round, string sagaAccount, Random random, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (random.Next(5) == 0) await SagaAsync(cluster, new SagaTransfer(Guid.NewGuid().ToString("N"), sagaAccount, random.Next(1, 10), round));
            else await TransferAsync(cluster, TransferAccounts[random.Next(TransferAccounts.Length)], random.Next(1, 10), round, waitForCompletion: false);
        }
    }

    /// <summary>One 2PC transfer; returns what the client was told (Nothing when Begin itself failed).</summary>
    public async Task<Told> TransferAsync(PowerLossCluster cluster, string account, long amount, int round, bool waitForCompletion)
    {
        DistributedTransaction tx;
        try
        {
            tx = await cluster.Client.BeginAsync(
                [
                    new Enlistment(cluster.Participants[0].Address, "ledger", Cluster.Ledger(account, -amount)),
                    new Enlistment(cluster.Participants[1].Address, "ledger", Cluster.Ledger(account, amount)),
                ],
                TimeSpan.FromSeconds(5));
        }
        catch (TwoPcTransactionException)
        {
            return Told.Nothing; // no id: the client never asked to commit it
        }

        var transfer = new Transfer(tx.Id, account, amount, round);
        Transfers[tx.Id] = transfer;
        try
        {
            var outcome = await tx.CommitAsync(waitForCompletion);
            transfer.Told = outcome.Kind switch
            {
                TransactionOutcomeKind.Committed => Told.Committed,
                TransactionOutcomeKind.Aborted => Told.Aborted,
                _ => Told.Nothing,
            };
        }
        catch (TransactionAbortedException)
        {
            transfer.Told = Told.Aborted;
        }
        catch (TwoPcTransactionException)
        {
            // In doubt or unreachable: the client does not know.
        }

        if (transfer.Told == Told.Committed) Interlocked.Increment(ref _committed);
        return transfer.Told;
    }

    /// <summary>Runs a saga, or re-runs it with its idempotency key after a lost reply (what its caller must do).</summary>
    public async Task SagaAsync(PowerLossCluster cluster, SagaTransfer saga)
    {
        Sagas[saga.Key] = saga;
        try
        {
            var result = await cluster.Client.Saga()
                .IdempotencyKey(saga.Key)
                .Step("debit", cluster.Participants[0].Address, "ledger-step", Cluster.Ledger(saga.Account, -saga.Amount), Cluster.Ledger(saga.Account, -saga.Amount))
                .Step("credit", cluster.Participants[1].Address, "ledger-step", Cluster.Ledger(saga.Account, saga.Amount), Cluster.Ledger(saga.Account, saga.Amount))
                .RunAsync();
            saga.Id = result.TransactionId;
            saga.Told = result.Outcome is SagaOutcome.Completed or SagaOutcome.Compensated or SagaOutcome.NeedsAttention ? result.Outcome : null;
        }
        catch (TwoPcTransactionException)
        {
        }
    }
}
