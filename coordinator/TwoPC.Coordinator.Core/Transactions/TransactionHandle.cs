namespace TwoPC.Coordinator.Transactions;

/// <summary>
/// A live transaction: its record plus the async gate that serialises every change to it, and signals for
/// callers waiting on the decision or the end.
/// </summary>
public sealed class TransactionHandle(TransactionRecord record)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    // No timer and no linked registration: nothing to release, so it is never disposed (Cancel stays safe at any time).
    private readonly CancellationTokenSource _prepareCalls = new();

    /// <summary>The live record. Read and change it only while holding <see cref="LockAsync"/>.</summary>
    public TransactionRecord Record { get; } = record;

    /// <summary>Transaction id.</summary>
    public string Id => Record.Id;

    /// <summary>
    /// The decision write failed ambiguously: until it is resolved from durable state, nobody may be told an
    /// outcome.
    /// </summary>
    public bool InDoubt { get; set; }

    /// <summary>A single-branch transaction committed in one round: only the participant knows the outcome.</summary>
    public bool OnePhase { get; set; }

    /// <summary>Completes when a decision (or a saga end) is known.</summary>
    public TaskCompletionSource Decided { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes when the caller can be told the end: phase 2 finished, or the saga completed, compensated or parked
    /// as NEEDS_ATTENTION (a parked saga stays live and its driver keeps retrying it).
    /// </summary>
    public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Saga parked as NEEDS_ATTENTION: how to wake its driver. Read and change it only under the gate.</summary>
    public ParkedSagaWakeup? Parked { get; set; }

    /// <summary>Cancelled once phase 1 has a decision: the Prepare calls still running are abandoned.</summary>
    internal CancellationToken PrepareCalls => _prepareCalls.Token;

    /// <summary>Cancels the Prepare calls still running (their votes can no longer change the decision).</summary>
    internal void AbandonPrepareCalls() => _prepareCalls.Cancel();

    /// <summary>Takes the gate; dispose the result to release it.</summary>
    public async ValueTask<Releaser> LockAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Releaser(_gate);
    }

    /// <summary>Releases the gate on dispose.</summary>
    public readonly struct Releaser(SemaphoreSlim gate) : IDisposable
    {
        /// <inheritdoc />
        public void Dispose() => gate.Release();
    }
}
