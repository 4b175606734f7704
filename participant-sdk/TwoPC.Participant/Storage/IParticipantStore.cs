namespace TwoPC.Participant.Storage;

/// <summary>
/// Where a participant keeps what it promised: the 2PC branch records (votes, decisions, tombstones) and the saga
/// barrier rows, written in the same local transaction as the business writes of the resource or step that produced
/// them. The participant engine is the only writer; a store is registered by its package (for example
/// <c>UseLiteDbStore</c>) and replaces nothing else.
/// </summary>
/// <remarks>
/// <para><b>Durability contract</b> (every implementation runs <c>ParticipantStoreContractTests</c>):</para>
/// <list type="bullet">
/// <item>A <see cref="StoreWrite"/> is atomic: its local writes, its branch record and its barrier row all commit or
/// none does. A local write that throws fails the whole write.</item>
/// <item>A write with <see cref="StoreWrite.Force"/> is on stable storage when its task completes (fdatasync returned,
/// or the database's commit returned with synchronous commit). A lazy write is committed and visible to reads but may
/// be lost on a crash until a later forced write.</item>
/// <item>Reads see every committed write, forced or not. Before the engine answers a remote caller from a record it
/// read, it writes the record again, forced (<see cref="BarrierWriteMode.Rewrite"/> or the same branch record).</item>
/// <item>An insert of a barrier row whose key exists fails the write: the unique key is the barrier.</item>
/// <item>If a write's outcome is unknown (a failed commit or flush), the store must not be trusted again in this
/// process: <see cref="FailStop"/> is called (by the store itself or by the engine), after which every write and
/// read throws and <see cref="Failure"/> is set; the host's <c>IStorageFailStop</c> ends the process, which
/// restarts and rebuilds its memory from durable state. A flush that succeeds after a failed one proves nothing.</item>
/// <item>Cancellation: the engine passes <see cref="CancellationToken.None"/> to writes that record a callback that
/// already ran; a store never abandons such a write half-way.</item>
/// </list>
/// </remarks>
public interface IParticipantStore
{
    /// <summary>
    /// The <see cref="IStoreTransaction"/> type this store hands to local writes; a write added for another type is
    /// refused when it is added.
    /// </summary>
    Type TransactionType { get; }

    /// <summary>Why the store stopped for good, or null while it works.</summary>
    Exception? Failure { get; }

    /// <summary>Stops the store for good (idempotent): every later call throws; <see cref="Failure"/> is set.</summary>
    void FailStop(Exception reason);

    /// <summary>The record of one branch, or null when none was written.</summary>
    ValueTask<BranchRecord?> FindBranchAsync(string transactionId, int branchId, CancellationToken cancellationToken);

    /// <summary>
    /// Every branch in <see cref="BranchStatus.Prepared"/> (the in-doubt set), without scanning decided records. A
    /// record that cannot be read is passed to <paramref name="unreadable"/> with its key and skipped, so that one bad
    /// record does not hide the others.
    /// </summary>
    ValueTask<IReadOnlyList<BranchRecord>> FindPreparedAsync(Action<string, Exception> unreadable, CancellationToken cancellationToken);

    /// <summary>The barrier row for (transaction, step, operation), or null.</summary>
    ValueTask<BarrierRow?> FindBarrierAsync(string transactionId, string stepName, string operation, CancellationToken cancellationToken);

    /// <summary>Commits <paramref name="write"/> atomically, forced when it says so (see the durability contract).</summary>
    Task WriteAsync(StoreWrite write, CancellationToken cancellationToken);
}
