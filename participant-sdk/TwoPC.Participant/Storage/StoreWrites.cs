using Microsoft.Extensions.Logging;
using TwoPC.Participant.Diagnostics;
using TwoPC.Participant.TwoPhase;

namespace TwoPC.Participant.Storage;

/// <summary>
/// The engine's and the barrier's writes to the participant's store, and the fail-stop rule they share: once a write
/// that follows a resource's callback fails, memory may hold an effect the disk does not, so the store is
/// stopped for good (the process restarts and rebuilds memory from disk) and no callback runs again in this process.
/// </summary>
internal static class StoreWrites
{
    /// <summary>Refuses the call once the store has stopped: nothing is answered or run from this process's memory.</summary>
    public static void RequireWorking(IParticipantStore store)
    {
        if (store.Failure is { } failure)
            throw ParticipantException.Transient("the participant's store has stopped; it answers nothing until the process restarts", failure);
    }

    /// <summary>
    /// Runs a durable write. With <paramref name="callbackRan"/>, a failure of any kind (the store's, or a local write
    /// that threw) stops the store, because the callback's in-memory effect may be applied without its record and a
    /// retry would apply it twice. Failures become transient errors after being logged.
    /// </summary>
    public static async Task WriteAsync(IParticipantStore store, ILogger logger, StoreWrite write, bool callbackRan, string operation, string transactionId)
    {
        try
        {
            // Not cancellable: once a callback ran, abandoning its record because the caller went away (the coordinator
            // crashed mid-call) would let a retry run the callback a second time. Group commit keeps the write short.
            await store.WriteAsync(write, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Some, none or all of the write may be durable: nothing is answered from memory.
            ParticipantLog.StorageFailed(logger, ex, operation, transactionId);
            // A stopped store has already stopped; a disposed one means the host is going away, and the resources'
            // memory with it: nothing to stop.
            if (callbackRan && store.Failure is null && ex is not ObjectDisposedException)
            {
                ParticipantLog.StoreStopped(logger, operation, transactionId);
                store.FailStop(ex);
            }

            throw ParticipantException.Transient($"{operation}: the local write failed", ex);
        }
    }
}
