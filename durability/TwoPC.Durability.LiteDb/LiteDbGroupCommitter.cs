using LiteDB;

namespace TwoPC.Durability;

/// <summary>
/// The single writer of one LiteDB file. Concurrent writes queue up; a dedicated thread folds everything waiting
/// into one LiteDB transaction, commits it, and, if any write in the batch was forced, flushes the write-ahead log
/// with one fdatasync (group commit). A forced write's task completes only after that flush returned.
/// LiteDB 5 never flushes on commit by itself, which is why the flush is done here, through <see cref="IFileFlusher"/>.
/// Reads go straight to <see cref="Database"/> from any thread. A read sees every committed write, including
/// writes whose flush has not returned yet (or failed): never answer "durable" from a read alone — await the
/// write, or <see cref="FlushAsync"/>, first.
/// <para><b>Fail-stop.</b> Once a batch's commit or flush fails, the committer is failed for good: that batch's
/// writes and every later write and flush fail with <see cref="StorageFailedException"/>, and
/// <see cref="GroupCommitOptions.OnFailStop"/> runs once. A later flush that succeeds would prove nothing (Linux
/// forgets a failed fdatasync's dirty pages), and LiteDB's in-memory pages may refer to pages whose write was lost,
/// so no rewrite through this process can be trusted either: the process must restart and read the disk again.</para>
/// </summary>
public sealed partial class LiteDbGroupCommitter : IDisposable
{
    private readonly GroupCommitOptions _options;
    private readonly IFileFlusher _flusher;
    private readonly DurabilityMetrics _metrics;
    private readonly object _gate = new();
    private readonly Thread _writer;
    private List<WriteRequest> _pending = new();
    private List<WriteRequest> _spare = new();
    private bool _stopping;
    private bool _dirtyUnflushed;
    private StorageFailedException? _failure;
    private int _failStopRan;
    private readonly FileStream _lockFile;

    /// <summary>Opens (or creates) the database and starts the writer thread.</summary>
    public LiteDbGroupCommitter(GroupCommitOptions options, IFileFlusher flusher, DurabilityMetrics metrics)
    {
        options.Validate();
        _options = options;
        _flusher = flusher;
        _metrics = metrics;
        var full = System.IO.Path.GetFullPath(options.Path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        DataPath = full;
        LogPath = System.IO.Path.Combine(
            System.IO.Path.GetDirectoryName(full)!,
            System.IO.Path.GetFileNameWithoutExtension(full) + "-log" + System.IO.Path.GetExtension(full));
        // One writer per file, across processes: an exclusive lock file (flock) held for the committer's lifetime.
        try
        {
            _lockFile = new FileStream(full + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new IOException($"The data file {full} is in use by another process (lock file {full}.lock is held). Nothing was changed.", ex);
        }

        try
        {
            // LiteDB "repairs" a file it cannot read by writing to it; check the header first so that a corrupt or
            // foreign file is refused untouched.
            RequireLiteDbHeader(full);
            Database = new LiteDatabase(new ConnectionString { Filename = full, Connection = ConnectionType.Direct });
        }
        catch (Exception ex) when (ex is LiteException or IOException or InvalidCastException or ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        {
            _lockFile.Dispose();
            throw new IOException($"The data file {full} cannot be opened as a LiteDB database ({ex.Message}). It may be corrupt or not a TwoPC file; it was not changed.", ex);
        }

        // Auto-checkpoint would run inside some unlucky commit and stall it; we checkpoint between batches instead.
        Database.CheckpointSize = 0;
        _flusher.Flush(DataPath);
        _writer = new Thread(WriterLoop) { IsBackground = true, Name = "TwoPC group commit " + System.IO.Path.GetFileName(full) };
        _writer.Start();
    }

    private static void RequireLiteDbHeader(string path)
    {
        if (!File.Exists(path) || new FileInfo(path).Length == 0) return;
        var header = new byte[64];
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            if (file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
                throw new InvalidOperationException("the file is shorter than a LiteDB header");
        }

        // LiteDB 5 header page: "** This is a LiteDB file **" at offset 32, then file format version 8.
        const string Signature = "** This is a LiteDB file **";
        if (System.Text.Encoding.ASCII.GetString(header, 32, Signature.Length) != Signature || header[32 + Signature.Length] != 8)
            throw new InvalidOperationException("the file has no LiteDB 5 header");
    }

    /// <summary>The database, for reads. Never write through it directly: use <see cref="WriteAsync{T}"/>.</summary>
    public LiteDatabase Database { get; }

    /// <summary>Full path of the data file.</summary>
    public string DataPath { get; }

    /// <summary>Full path of LiteDB's write-ahead log file.</summary>
    public string LogPath { get; }

    /// <summary>Why the store stopped, once it failed (see the fail-stop rule above); null while it works.</summary>
    public StorageFailedException? Failure => Volatile.Read(ref _failure);

    /// <summary>
    /// Stops the store for good, as a failed forced write does: every later write fails and
    /// <see cref="GroupCommitOptions.OnFailStop"/> runs (once). For callers whose in-memory state does not match
    /// the disk, for instance because a record write failed after a resource had already changed memory.
    /// </summary>
    public void FailStop(Exception cause) => EnterFailed(cause);

    /// <summary>
    /// Queues <paramref name="write"/> to run on the writer thread inside a LiteDB transaction shared with other
    /// writes. With <paramref name="force"/>, the task completes only after the batch is flushed to disk.
    /// If the write throws, only its own task fails (the batch is re-run without it). If the commit or the flush
    /// fails, every task of the batch fails with <see cref="StorageFailedException"/>, and so does every later write.
    /// Cancellation only stops waiting: once queued, the write may still happen.
    /// </summary>
    public Task<T> WriteAsync<T>(Func<LiteDatabase, T> write, bool force, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var request = new WriteRequest<T>(write, force);
        lock (_gate)
        {
            if (_failure is { } failure) return Task.FromException<T>(failure);
            ObjectDisposedException.ThrowIf(_stopping, this);
            _pending.Add(request);
            if (_pending.Count == 1) Monitor.Pulse(_gate);
        }

        return cancellationToken.CanBeCanceled ? request.Task.WaitAsync(cancellationToken) : request.Task;
    }

    /// <summary>Queues a write with no result.</summary>
    public Task WriteAsync(Action<LiteDatabase> write, bool force, CancellationToken cancellationToken) =>
        WriteAsync<bool>(db => { write(db); return true; }, force, cancellationToken);

    /// <summary>
    /// Flushes everything written so far (lazy writes included) to disk. It never settles an earlier failed write:
    /// after a failure it fails too (see the fail-stop rule).
    /// </summary>
    public Task FlushAsync(CancellationToken cancellationToken) => WriteAsync(static _ => { }, force: true, cancellationToken);

    private void WriterLoop()
    {
        while (true)
        {
            List<WriteRequest> batch;
            lock (_gate)
            {
                while (_pending.Count == 0 && !_stopping) Monitor.Wait(_gate);
                if (_pending.Count == 0 && _stopping) return;
                batch = _pending;
                _pending = _spare;
                _spare = batch;
            }

            for (var start = 0; start < batch.Count; start += _options.MaxBatchSize)
            {
                var count = Math.Min(_options.MaxBatchSize, batch.Count - start);
                if (Failure is { } failure) FailAll(batch, start, count, failure);
                else RunBatch(batch, start, count);
            }

            batch.Clear();
            if (Failure is not null) continue;
            try
            {
                MaybeCheckpoint();
            }
            catch (LiteException ex) when (ex.ErrorCode == LiteException.LOCK_TIMEOUT)
            {
                // Readers held the lock: nothing was copied or truncated; the next batch retries.
                _metrics.AddCheckpointFailure();
            }
            catch (Exception ex)
            {
                // The checkpoint copies the log into the data file and empties the log: once it has started, a failure
                // (or a failed flush of the data file afterwards) may have lost pages that the emptied log does not hold.
                _metrics.AddCheckpointFailure();
                EnterFailed(ex);
            }
        }
    }

    private void RunBatch(List<WriteRequest> batch, int start, int count)
    {
        var forced = false;
        for (var i = start; i < start + count; i++) forced |= batch[i].Force;

        try
        {
            if (!TryRunTogether(batch, start, count)) RunOneByOne(batch, start, count);
            _metrics.AddBatch();
            if (forced || _dirtyUnflushed && _stopping)
            {
                FlushWritten();
                _dirtyUnflushed = false;
            }
            else
            {
                _dirtyUnflushed = true;
            }
        }
        catch (Exception ex)
        {
            // Some, none or all of the batch may be durable, and nothing this process writes after this can be
            // trusted: fail-stop. The callback runs before anyone of the batch hears of the failure.
            FailAll(batch, start, count, EnterFailed(ex));
            return;
        }

        if (forced)
        {
            var forcedCount = 0;
            for (var i = start; i < start + count; i++) if (batch[i].Force) forcedCount++;
            _metrics.AddForcedWrites(forcedCount);
        }

        for (var i = start; i < start + count; i++) batch[i].CompleteIfPending();
    }

    /// <summary>
    /// Makes every committed write durable. Commits write pages to the log; when the log file does not exist, no page
    /// was written since it was last emptied by a checkpoint and deleted by a clean close, so everything committed is
    /// in the data file, which is flushed instead (a flush of a missing file would fail).
    /// </summary>
    private void FlushWritten() => _flusher.Flush(File.Exists(LogPath) ? LogPath : DataPath);

    private StorageFailedException EnterFailed(Exception cause)
    {
        StorageFailedException failure;
        lock (_gate)
        {
            _failure ??= new StorageFailedException(DataPath, cause);
            failure = _failure;
            Monitor.Pulse(_gate);
        }

        if (Interlocked.Exchange(ref _failStopRan, 1) == 0 && _options.OnFailStop is { } onFailStop)
        {
            try
            {
                onFailStop(failure);
            }
            catch (Exception ex)
            {
                // The store is stopped either way; a throwing callback must not kill the writer thread and hang every caller.
                if (_options.Logger is { } logger) GroupCommitLog.FailStopCallbackFailed(logger, ex, DataPath);
            }
        }

        return failure;
    }

    private static void FailAll(List<WriteRequest> batch, int start, int count, StorageFailedException failure)
    {
        for (var i = start; i < start + count; i++) batch[i].FailIfPending(failure);
    }

    private bool TryRunTogether(List<WriteRequest> batch, int start, int count)
    {
        Database.BeginTrans();
        for (var i = start; i < start + count; i++)
        {
            try
            {
                batch[i].Run(Database);
            }
            catch (Exception)
            {
                Database.Rollback();
                for (var j = start; j < start + count; j++) batch[j].ResetResult();
                return false;
            }
        }

        Database.Commit();
        return true;
    }

    private void RunOneByOne(List<WriteRequest> batch, int start, int count)
    {
        for (var i = start; i < start + count; i++)
        {
            Database.BeginTrans();
            try
            {
                batch[i].Run(Database);
            }
            catch (Exception ex)
            {
                Database.Rollback();
                batch[i].Fail(ex);
                continue;
            }

            Database.Commit();
        }
    }

    private void MaybeCheckpoint()
    {
        long logBytes;
        try
        {
            logBytes = File.Exists(LogPath) ? new FileInfo(LogPath).Length : 0;
        }
        catch (IOException)
        {
            return;
        }

        bool idle;
        lock (_gate) idle = _pending.Count == 0;
        if (logBytes < _options.CheckpointLogBytes || (!idle && logBytes < _options.MaxLogBytes)) return;

        // LiteDB copies the log into the data file, fsyncs the data file, then empties the log.
        // We flush both afterwards as well, so the checkpoint never leaves anything only in the page cache.
        Database.Checkpoint();
        _flusher.Flush(DataPath);
        if (File.Exists(LogPath)) _flusher.Flush(LogPath);
        _metrics.AddCheckpoint();
    }

    /// <summary>Writes and flushes everything queued, stops the writer and closes the database.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping) return;
            _stopping = true;
            Monitor.Pulse(_gate);
        }

        _writer.Join();
        try
        {
            // A failed store flushes nothing more: its pages may not match the disk.
            if (_dirtyUnflushed && Failure is null) FlushWritten();
        }
        finally
        {
            Database.Dispose();
            _lockFile.Dispose();
        }
    }
}
