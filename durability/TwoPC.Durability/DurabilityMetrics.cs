namespace TwoPC.Durability;

/// <summary>Counters of one process's durable writes, read by the Diagnostics service and the benchmark.</summary>
public sealed class DurabilityMetrics
{
    private long _fsyncs;
    private long _forcedWrites;
    private long _batches;
    private long _checkpoints;
    private long _checkpointFailures;

    /// <summary>fsync/fdatasync calls made.</summary>
    public long Fsyncs => Interlocked.Read(ref _fsyncs);

    /// <summary>Writes that asked to be forced to disk.</summary>
    public long ForcedWrites => Interlocked.Read(ref _forcedWrites);

    /// <summary>Group-commit batches written (one storage transaction each).</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Checkpoints run (WAL copied into the data file).</summary>
    public long Checkpoints => Interlocked.Read(ref _checkpoints);

    /// <summary>Counts one flush to disk.</summary>
    public void AddFsync() => Interlocked.Increment(ref _fsyncs);

    /// <summary>Counts forced writes.</summary>
    public void AddForcedWrites(int count) => Interlocked.Add(ref _forcedWrites, count);

    /// <summary>Counts one batch.</summary>
    public void AddBatch() => Interlocked.Increment(ref _batches);

    /// <summary>Checkpoints that failed (retried at the next batch).</summary>
    public long CheckpointFailures => Interlocked.Read(ref _checkpointFailures);

    /// <summary>Counts one failed checkpoint.</summary>
    public void AddCheckpointFailure() => Interlocked.Increment(ref _checkpointFailures);

    /// <summary>Counts one checkpoint.</summary>
    public void AddCheckpoint() => Interlocked.Increment(ref _checkpoints);
}
