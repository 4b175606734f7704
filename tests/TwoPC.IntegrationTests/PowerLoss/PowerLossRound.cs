using System.Diagnostics;
using TwoPC.Client;

namespace TwoPC.IntegrationTests.PowerLoss;

/// <summary>What one power cut did, and what the files said after recovery.</summary>
internal sealed record RoundResult(int Round, int CommitsBeforeCut, int Transfers, int ToldCommitted, int ToldAborted, int NoAnswer, int Sagas,
    TimeSpan Recovery, IReadOnlyList<string> Violations)
{
    public string Summary =>
        $"round {Round}: power cut after {CommitsBeforeCut} acknowledged commits; {Transfers} transfers ({ToldCommitted} told committed, " +
        $"{ToldAborted} told aborted, {NoAnswer} no answer), {Sagas} sagas; recovered in {Recovery.TotalSeconds:0.0} s; {Violations.Count} violations";
}

/// <summary>
/// One round: load, cut the power mid-load, power on, wait until recovery has finished every transaction (clients
/// re-run sagas whose reply was lost, with their idempotency key), stop the processes, check the files.
/// </summary>
internal static class PowerLossRound
{
    private const int Workers = 8;

    public static async Task<RoundResult> RunAsync(PowerLossCluster cluster, LedgerLoad load, int round, int commitsBeforeCut, TimeSpan recoveryBudget)
    {
        var before = load.Committed;
        using (var stop = new CancellationTokenSource())
        {
            var running = load.RunAsync(cluster, round, Workers, seed: round, stop.Token);
            var until = DateTime.UtcNow.AddSeconds(60);
            while (load.Committed - before < commitsBeforeCut)
            {
                if (running.IsCompleted) await running;
                if (DateTime.UtcNow > until) throw new TimeoutException($"round {round}: only {load.Committed - before} commits in 60 s\n{cluster.Output}");
                await Task.Delay(5);
            }

            // No new transfer starts after this; the ones in flight are cut off by the power cut that follows at once.
            stop.Cancel();
            await cluster.CutPowerAsync();
            await running;
        }

        await cluster.PowerOnAsync();
        var clock = Stopwatch.StartNew();
        var problems = await RecoverAsync(cluster, load, round, recoveryBudget);
        var recovery = clock.Elapsed;
        cluster.KillProcesses();

        var violations = problems.Concat(LedgerInvariants.Check(
            CoordinatorFile.Read(cluster.CoordinatorFile), ParticipantFile.Read(cluster.ParticipantFile(0)), ParticipantFile.Read(cluster.ParticipantFile(1)), load)).ToList();
        var transfers = load.Transfers.Values.Where(t => t.Round == round && t.Amount > 0).ToList();
        return new RoundResult(round, commitsBeforeCut, transfers.Count, transfers.Count(t => t.Told == Told.Committed), transfers.Count(t => t.Told == Told.Aborted),
            transfers.Count(t => t.Told == Told.Nothing), load.Sagas.Values.Count(s => s.Round == round), recovery, violations);
    }

    /// <summary>Waits until nothing of this round is left to finish; what is still open when the budget runs out is a problem.</summary>
    private static async Task<List<string>> RecoverAsync(PowerLossCluster cluster, LedgerLoad load, int round, TimeSpan budget)
    {
        using var cts = new CancellationTokenSource(budget);
        var problems = new List<string>();

        // 1. The coordinator finishes every transaction it has a record of (no record = never decided, presumed abort).
        var undecided = 0;
        await Parallel.ForEachAsync(load.Transfers.Values.Where(t => t.Round == round).ToList(), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (t, _) =>
        {
            if (!await UntilAsync(async () =>
                {
                    try
                    {
                        var s = await cluster.Client.GetTransactionAsync(t.Id, cts.Token);
                        return s.State is TransactionState.Committed or TransactionState.Aborted;
                    }
                    catch (TransactionNotFoundException)
                    {
                        return true;
                    }
                }, cts.Token))
                Interlocked.Increment(ref undecided);
        });
        if (undecided > 0) problems.Add($"not recovered in {budget.TotalSeconds:0} s: {undecided} transfers of round {round} still unfinished at the coordinator");

        // 2. Participants resolve their in-doubt branches: a probe on an account commits only once no prepared
        //    branch holds its lock, at either participant. Probes move nothing (amount 0).
        var locked = 0;
        await Parallel.ForEachAsync(LedgerLoad.TransferAccounts, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (account, _) =>
        {
            if (!await UntilAsync(async () => await load.TransferAsync(cluster, account, 0, round, waitForCompletion: true) == Told.Committed, cts.Token))
                Interlocked.Increment(ref locked);
        });
        if (locked > 0) problems.Add($"not recovered in {budget.TotalSeconds:0} s: {locked} accounts still locked by in-doubt branches");

        // 3. Sagas whose reply was lost: their caller runs them again with the same key and gets the outcome.
        var open = 0;
        foreach (var saga in load.Sagas.Values.Where(s => s.Told is null).ToList())
        {
            if (!await UntilAsync(async () =>
                {
                    await load.SagaAsync(cluster, saga);
                    return saga.Told is not null;
                }, cts.Token))
                open++;
        }

        if (open > 0) problems.Add($"not recovered in {budget.TotalSeconds:0} s: {open} sagas without an outcome");
        return problems;
    }

    /// <summary>Retries <paramref name="condition"/> (errors count as "not yet") until it holds or the token fires.</summary>
    private static async Task<bool> UntilAsync(Func<Task<bool>> condition, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (await condition()) return true;
            }
            catch (Exception ex) when (ex is TwoPcTransactionException or OperationCanceledException or Grpc.Core.RpcException)
            {
            }

            try
            {
                await Task.Delay(50, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return false;
    }
}
