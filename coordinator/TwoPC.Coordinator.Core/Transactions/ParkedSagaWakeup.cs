namespace TwoPC.Coordinator.Transactions;

/// <summary>
/// The doorbell of a parked saga (NEEDS_ATTENTION). Its driver waits for the next scheduled retry or for
/// <see cref="Request"/> (the Admin service's ResumeSaga), whichever comes first; only that driver resumes the saga,
/// so a scheduled retry and an operator's resume never run at once. Lives on the <see cref="TransactionHandle"/>
/// while the saga is parked; created and dropped under the handle's gate.
/// </summary>
public sealed class ParkedSagaWakeup
{
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _requested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<TransactionRecord> _resumed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when an operator asks for the saga to be resumed now.</summary>
    public Task Requested => _requested.Task;

    /// <summary>The operator's note of the first request, if any.</summary>
    public string? Note { get; private set; }

    /// <summary>
    /// Completes with a copy of the record once the driver has durably recorded the resume (the saga has left
    /// NEEDS_ATTENTION); fails or is cancelled if it could not.
    /// </summary>
    public Task<TransactionRecord> Resumed => _resumed.Task;

    /// <summary>Rings the bell. Requests after the first share its resume.</summary>
    public void Request(string? note)
    {
        lock (_lock)
        {
            if (_requested.Task.IsCompleted) return;
            Note = note;
            _requested.TrySetResult();
        }
    }

    /// <summary>Tells every requester that the resume is recorded.</summary>
    public void SetResumed(TransactionRecord record) => _resumed.TrySetResult(record);

    /// <summary>Tells every requester that the resume did not happen.</summary>
    public void SetFailed(Exception error)
    {
        if (error is OperationCanceledException) _resumed.TrySetCanceled();
        else _resumed.TrySetException(error);
    }
}
