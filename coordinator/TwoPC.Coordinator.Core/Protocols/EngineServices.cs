using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TwoPC.Coordinator.Diagnostics;
using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Protocols;

/// <summary>What every processor needs: the log, the live table, the participants, options, clock and logger.</summary>
public sealed class EngineServices(
    ITransactionLog log,
    TransactionTable table,
    IParticipantClient participants,
    IOptions<CoordinatorOptions> options,
    TimeProvider time,
    CoordinatorMetrics metrics,
    ILogger<EngineServices> logger)
{
    private readonly CancellationTokenSource _stopping = new();
    // Background work still running (drivers, lazy writes, abandoned Prepare calls), with the transaction it serves.
    private readonly ConcurrentDictionary<Task, string> _running = new();

    /// <summary>The decision log.</summary>
    public ITransactionLog Log { get; } = log;

    /// <summary>Live transactions.</summary>
    public TransactionTable Table { get; } = table;

    /// <summary>Outbound participant calls.</summary>
    public IParticipantClient Participants { get; } = participants;

    /// <summary>Options.</summary>
    public CoordinatorOptions Options { get; } = options.Value;

    /// <summary>Clock.</summary>
    public TimeProvider Time { get; } = time;

    /// <summary>Counters.</summary>
    public CoordinatorMetrics Metrics { get; } = metrics;

    /// <summary>Logger.</summary>
    public ILogger Logger { get; } = logger;

    /// <summary>Fault points (test configuration only; none by default).</summary>
    public IFaultInjector Faults { get; init; } = NoFaults.Instance;

    /// <summary>
    /// Starts a background driver (default: <see cref="Task.Run(Func{Task})"/> on the thread pool). The seeded
    /// simulation replaces it with its own single-threaded run queue so that a seed fixes the interleaving.
    /// </summary>
    public Func<Func<Task>, Task> RunDriver { get; init; } = static work => Task.Run(work);

    /// <summary>Source of retry jitter (default: <see cref="System.Random.Shared"/>; the simulation passes a seeded one).</summary>
    public Random Random { get; init; } = Random.Shared;

    /// <summary>Makes new transaction ids (default: <see cref="TransactionIds.New(TimeProvider)"/> on <see cref="Time"/>; the simulation makes seeded ones).</summary>
    public Func<string> NewTransactionId { get; init; } = () => TransactionIds.New(time);

    /// <summary>The retry delay before attempt <paramref name="attempt"/> (see <see cref="global::TwoPC.Backoff"/>), jittered from <see cref="Random"/>.</summary>
    public TimeSpan Backoff(int attempt, TimeSpan initial, TimeSpan max) => global::TwoPC.Backoff.Delay(attempt, initial, max, Random);

    /// <summary>Cancelled when the coordinator stops: background drivers end (recovery resumes them after restart).</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Cancels every background driver without waiting for them (see <see cref="StopAsync"/>).</summary>
    public void Stop() => _stopping.Cancel();

    /// <summary>
    /// Cancels every background driver and waits until each has ended, so none runs on after the decision log is
    /// disposed. Waiting ends early when <paramref name="cancellationToken"/> (the host's shutdown deadline) fires:
    /// each piece of work still running is then logged. Whatever a driver had not finished is resumed by recovery
    /// after the next start.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Stop();
        // Work started while waiting (a driver starting another) is waited for as well.
        while (_running.Keys.Where(t => !t.IsCompleted).ToArray() is { Length: > 0 } running)
        {
            try
            {
                await Task.WhenAll(running).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                foreach (var (task, transactionId) in _running)
                    if (!task.IsCompleted) CoordinatorLog.DriverNotStopped(Logger, transactionId);
                return;
            }
            catch (Exception)
            {
                // A faulted piece of work is logged by Track's continuation; the others are still waited for.
            }
        }
    }

    /// <summary>Background work still running (drivers, lazy writes, abandoned Prepare calls).</summary>
    internal int RunningWork => _running.Keys.Count(t => !t.IsCompleted);

    /// <summary>
    /// Owns a piece of background work for <paramref name="transactionId"/>: <see cref="StopAsync"/> waits for it,
    /// and a fault of it is logged instead of going unobserved.
    /// </summary>
    internal void Track(string transactionId, Task work)
    {
        _running[work] = transactionId;
        _ = work.ContinueWith(t =>
        {
            _running.TryRemove(t, out _);
            if (t.Exception is { } ex) CoordinatorLog.BackgroundWorkFailed(Logger, transactionId, ex.GetBaseException());
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Now.</summary>
    public DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>Waits <paramref name="delay"/> on the injected clock.</summary>
    public Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) => Task.Delay(delay, Time, cancellationToken);

    /// <summary>
    /// Issues a lazy save of a copy of the record (call under the gate, so saves stay in order) and logs a failure
    /// instead of throwing: a lost lazy write only means recovery redoes idempotent work.
    /// </summary>
    public Task SaveLazy(TransactionRecord record)
    {
        var task = Log.SaveAsync(record.Clone(), WriteDurability.Lazy, CancellationToken.None);
        var saved = task.ContinueWith(t =>
        {
            if (t.Exception is { } ex) CoordinatorLog.LazyWriteFailed(Logger, record.Id, ex.GetBaseException());
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        Track(record.Id, saved);
        return saved;
    }

    /// <summary>
    /// Runs a handle's background driver on <see cref="RunDriver"/>, logging failures; the engine owns it until it
    /// ends (<see cref="StopAsync"/> cancels and awaits it).
    /// </summary>
    public void StartDriver(TransactionHandle handle, Func<CancellationToken, Task> driver)
    {
        Track(handle.Id, RunDriver(async () =>
        {
            try
            {
                await driver(Stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (Stopping.IsCancellationRequested)
            {
                CoordinatorLog.DriverStopped(Logger, handle.Id);
            }
            catch (Exception ex)
            {
                CoordinatorLog.DriverFailed(Logger, handle.Id, ex);
            }
        }));
    }

    /// <summary>
    /// Marks a finished transaction: saves it lazily, signals waiters and drops it from memory once saved.
    /// <paramref name="alreadySaved"/>: the caller has just written the finished record itself (a saga's forced end
    /// state, with CompletedAt), so the same document is not written a second time.
    /// </summary>
    public async Task FinishAsync(TransactionHandle handle, bool alreadySaved = false)
    {
        Task saved = Task.CompletedTask;
        using (await handle.LockAsync(CancellationToken.None).ConfigureAwait(false))
        {
            handle.Record.CompletedAt ??= Now;
            if (!alreadySaved) saved = SaveLazy(handle.Record);
        }

        handle.Decided.TrySetResult();
        handle.Finished.TrySetResult();
        await saved.ConfigureAwait(false);
        Table.Remove(handle);
    }
}
