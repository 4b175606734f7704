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

    /// <summary>
    /// Queues <paramref name="write"/> to run on the writer thread inside a LiteDB transaction shared with other
    /// writes. With <paramref name="force"/>, the task completes only after the batch is flushed to disk.
    /// If the write throws, only its own task fails (the batch is re-run without it). If the commit or the flush
    /// fails, every task of the batch fails with <see cref="StorageAmbiguousException"/>.
    /// Cancellation only stops waiting: once queued, the write may still happen.
    /// </summary>
    public Task<T> WriteAsync<T>(Func<LiteDatabase, T> write, bool force, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var request = new WriteRequest<T>(write, force);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            _pending.Add(request);
            if (_pending.Count == 1) Monitor.Pulse(_gate);
        }

        return cancellationToken.CanBeCanceled ? request.Task.WaitAsync(cancellationToken) : request.Task;
    }

    /// <summary>Queues a write with no result.</summary>
    public Task WriteAsync(Action<LiteDatabase> write, bool force, CancellationToken cancellationToken) =>
        WriteAsync<bool>(db => { write(db); return true; }, force, cancellationToken);

    /// <summary>Flushes everything written so far (lazy writes included) to disk.</summary>
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
                RunBatch(batch, start, count);
            }

            batch.Clear();
            try
            {
                MaybeCheckpoint();
            }
            catch (Exception ex) when (ex is IOException or LiteException)
            {
                // A failed checkpoint loses nothing: the log still holds every page; the next one retries.
                _metrics.AddCheckpointFailure();
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
                _flusher.Flush(LogPath);
                _dirtyUnflushed = false;
            }
            else
            {
                _dirtyUnflushed = true;
            }
        }
        catch (Exception ex)
        {
            var ambiguous = new StorageAmbiguousException("The storage commit or flush failed; the write may or may not be durable. Reload state.", ex);
            for (var i = start; i < start + count; i++) batch[i].FailIfPending(ambiguous);
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
        if (_dirtyUnflushed) _flusher.Flush(LogPath);
        Database.Dispose();
        _lockFile.Dispose();
    }
}
