using TwoPC.Coordinator.Diagnostics;
using TwoPC.Coordinator.Protocols;

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
        var unfinished = await engine.Log.LoadUnfinishedAsync(cancellationToken).ConfigureAwait(false);
        foreach (var record in unfinished)
        {
            if (!_processors.TryGetValue(record.Mode, out var processor))
                throw new InvalidOperationException($"transaction {record.Id} has mode {record.Mode}, for which no processor is registered");
            var handle = new TransactionHandle(record);
            if (!engine.Table.TryAdd(handle)) continue;
            engine.StartDriver(handle, ct => processor.ResumeAsync(handle, ct));
        }

        CoordinatorLog.RecoveryLoaded(engine.Logger, unfinished.Count);
        engine.Metrics.Add("recovered", unfinished.Count);
        return unfinished.Count;
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
