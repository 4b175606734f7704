using TwoPC.Coordinator.Diagnostics;
using TwoPC.Coordinator.Protocols;
using TwoPC.Coordinator.Storage;

namespace TwoPC.Coordinator.Transactions;

public sealed partial class TransactionManager
{
    private readonly Dictionary<TransactionMode, ITransactionProcessor> _processors = new();

    /// <summary>Registers the processor that resumes transactions of its mode after a restart.</summary>
    public void Register(ITransactionProcessor processor) => _processors[processor.Mode] = processor;

    /// <summary>
    /// Recovery after a restart: loads every unfinished transaction from the log and resumes it in the background
    /// (2PC: finish phase 2, or abort if undecided; saga: forward or backward). Returns once all are loaded.
    /// </summary>
    public async Task<int> RecoverAsync(CancellationToken cancellationToken)
    {
        _processors.TryAdd(TransactionMode.TwoPhase, twoPhase);
        if (engine.Log is IClusteredTransactionLog cluster)
        {
            // A shared log holds other live instances' transactions too: this instance registers its lease and takes
            // only what no live instance owns (its own previous incarnation's, once that lease has expired, included).
            if (!await cluster.RenewLeaseAsync(engine.Options.LeaseDuration, engine.Options.AdvertisedAddress ?? "", cancellationToken).ConfigureAwait(false))
                throw new InvalidOperationException("the new instance's lease was refused by the shared decision log");
            var claimed = await ClaimOrphansAsync(cancellationToken).ConfigureAwait(false);
            CoordinatorLog.RecoveryLoaded(engine.Logger, claimed);
            return claimed;
        }

        var unfinished = await engine.Log.LoadUnfinishedAsync(cancellationToken).ConfigureAwait(false);
        Adopt(unfinished);
        CoordinatorLog.RecoveryLoaded(engine.Logger, unfinished.Count);
        engine.Metrics.Add("recovered", unfinished.Count);
        return unfinished.Count;
    }

    /// <summary>
    /// Cluster: claims every unfinished transaction of instances whose lease has expired and resumes each exactly as
    /// restart recovery does (decided: phase 2; undecided: abort; sagas forward or backward). Returns how many.
    /// </summary>
    public async Task<int> ClaimOrphansAsync(CancellationToken cancellationToken)
    {
        if (engine.Log is not IClusteredTransactionLog cluster) return 0;
        var total = 0;
        while (true)
        {
            var claimed = await cluster.ClaimOrphansAsync(engine.Options.MaxBatchSize, cancellationToken).ConfigureAwait(false);
            if (claimed.Count == 0) return total;
            Adopt(claimed);
            total += claimed.Count;
            CoordinatorLog.OrphansClaimed(engine.Logger, claimed.Count, string.Join(", ", claimed.Take(10).Select(r => r.Id)));
            engine.Metrics.Add("recovered", claimed.Count);
            engine.Metrics.Add("claimed", claimed.Count);
        }
    }

    private void Adopt(IReadOnlyList<TransactionRecord> records)
    {
        foreach (var record in records)
        {
            if (!_processors.TryGetValue(record.Mode, out var processor))
                throw new InvalidOperationException($"transaction {record.Id} has mode {record.Mode}, for which no processor is registered");
            var handle = new TransactionHandle(record);
            if (!engine.Table.TryAdd(handle)) continue;
            engine.StartDriver(handle, ct => processor.ResumeAsync(handle, ct));
        }
    }

    /// <summary>
    /// Aborts every undecided transaction past its deadline. One that fails is logged and left for the next sweep;
    /// the others are still aborted.
    /// </summary>
    public async Task AbortExpiredAsync(CancellationToken cancellationToken)
    {
        var now = engine.Now;
        foreach (var handle in engine.Table.All)
        {
            if (handle.Record.Mode != TransactionMode.TwoPhase || handle.Record.Deadline > now) continue;
            try
            {
                await twoPhase.AbortIfExpiredAsync(handle, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                CoordinatorLog.ExpiredAbortFailed(engine.Logger, handle.Id, ex);
            }
        }
    }

    /// <summary>Deletes finished transactions older than the retention from the log.</summary>
    public async Task<int> ForgetAsync(CancellationToken cancellationToken)
    {
        var forgotten = await engine.Log.ForgetFinishedAsync(engine.Now - engine.Options.FinishedRetention, 10_000, cancellationToken).ConfigureAwait(false);
        if (forgotten > 0) CoordinatorLog.Forgot(engine.Logger, forgotten);
        return forgotten;
    }
}
