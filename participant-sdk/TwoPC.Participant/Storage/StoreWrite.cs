namespace TwoPC.Participant.Storage;

/// <summary>A write a resource or saga step adds: it runs inside the store's local transaction.</summary>
/// <param name="transaction">The store's transaction; of the store's <see cref="IParticipantStore.TransactionType"/>.</param>
/// <param name="cancellationToken">Cancelled only when the store is going away.</param>
public delegate ValueTask LocalWrite(IStoreTransaction transaction, CancellationToken cancellationToken);

/// <summary>How a <see cref="StoreWrite"/> writes its barrier row.</summary>
public enum BarrierWriteMode
{
    /// <summary>Insert; fails (and so fails the whole write) if a row with the same key exists.</summary>
    Insert = 0,

    /// <summary>Write an existing row again, unchanged, so that it is forced before a duplicate is answered from it.</summary>
    Rewrite = 1,
}

/// <summary>
/// One atomic, durable write of the participant engine: the local writes of a resource or saga step, then at most one
/// branch record (inserted or replaced) and at most one barrier row. Either all of it commits or none of it.
/// </summary>
public sealed class StoreWrite
{
    /// <summary>
    /// True: the write is on stable storage when <see cref="IParticipantStore.WriteAsync"/> completes. False: committed
    /// and visible to reads, but it may be lost on a crash until a later forced write.
    /// </summary>
    public required bool Force { get; init; }

    /// <summary>The writes a resource or step added, applied first, in order.</summary>
    public IReadOnlyList<LocalWrite> LocalWrites { get; init; } = [];

    /// <summary>A branch record to insert or replace (by <see cref="BranchRecord.Key"/>), or null.</summary>
    public BranchRecord? Branch { get; init; }

    /// <summary>A barrier row to write as <see cref="BarrierMode"/> says, or null.</summary>
    public BarrierRow? Barrier { get; init; }

    /// <summary>How <see cref="Barrier"/> is written.</summary>
    public BarrierWriteMode BarrierMode { get; init; }
}
