using LiteDB;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TwoPC.Durability;
using TwoPC.Participant.Storage;

namespace TwoPC.Participant.LiteDb;

/// <summary>
/// The embedded participant store: one LiteDB file holds the branch records, the saga barrier and — if the service
/// wants — its business data, so that both change in one local transaction. Every write goes through one
/// <see cref="LiteDbGroupCommitter"/> (a single writer thread; forced writes share one fdatasync per batch). A failed
/// forced write stops the store and calls <see cref="IStorageFailStop"/> (by default the process ends and rebuilds its
/// memory from the file).
/// </summary>
public sealed class LiteDbParticipantStore : IParticipantStore, IDisposable
{
    private readonly LiteDbGroupCommitter _committer;

    /// <summary>Opens (or creates) the file at <see cref="LiteDbParticipantStoreOptions.DataPath"/>.</summary>
    public LiteDbParticipantStore(IOptions<LiteDbParticipantStoreOptions> options, IFileFlusher flusher, DurabilityMetrics metrics, IStorageFailStop failStop,
        ILogger<LiteDbParticipantStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(failStop);
        _committer = new LiteDbGroupCommitter(new GroupCommitOptions { Path = options.Value.DataPath, OnFailStop = failStop.Stop, Logger = logger }, flusher, metrics);
        BranchDocuments.EnsureIndexes(_committer.Database);
    }

    /// <summary>
    /// The database, for the service's reads of its own data (any thread). Never write through it: use
    /// <see cref="WriteAsync(Action{LiteDatabase}, bool, CancellationToken)"/> or a local write of a resource or step.
    /// </summary>
    public LiteDatabase Database => _committer.Database;

    /// <summary>The absolute path of the data file.</summary>
    public string DataPath => _committer.DataPath;

    /// <inheritdoc />
    public Type TransactionType => typeof(LiteDbStoreTransaction);

    /// <inheritdoc />
    public Exception? Failure => _committer.Failure;

    /// <inheritdoc />
    public void FailStop(Exception reason) => _committer.FailStop(reason);

    /// <inheritdoc />
    public ValueTask<BranchRecord?> FindBranchAsync(string transactionId, int branchId, CancellationToken cancellationToken)
    {
        ThrowIfStopped();
        return ValueTask.FromResult(BranchDocuments.Find(Database, transactionId, branchId));
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<BranchRecord>> FindPreparedAsync(Action<string, Exception> unreadable, CancellationToken cancellationToken)
    {
        ThrowIfStopped();
        return ValueTask.FromResult(BranchDocuments.FindPrepared(Database, unreadable));
    }

    /// <inheritdoc />
    public ValueTask<BarrierRow?> FindBarrierAsync(string transactionId, string stepName, string operation, CancellationToken cancellationToken)
    {
        ThrowIfStopped();
        return ValueTask.FromResult(BarrierDocuments.Find(Database, transactionId, stepName, operation));
    }

    /// <inheritdoc />
    public Task WriteAsync(StoreWrite write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        return _committer.WriteAsync(db =>
        {
            var transaction = new LiteDbStoreTransaction(db);
            foreach (var local in write.LocalWrites)
            {
                // LiteDB is synchronous: a local write runs to completion on the writer thread, inside the transaction.
                var pending = local(transaction, CancellationToken.None);
                if (pending.IsCompletedSuccessfully) continue;
                pending.AsTask().GetAwaiter().GetResult();
            }

            if (write.Branch is { } branch) BranchDocuments.Upsert(db, branch);
            if (write.Barrier is { } row)
            {
                if (write.BarrierMode == BarrierWriteMode.Rewrite) BarrierDocuments.Rewrite(db, row);
                else BarrierDocuments.Insert(db, row);
            }
        }, write.Force, cancellationToken);
    }

    /// <summary>
    /// Writes the service's own data outside any transaction branch (seeding, migrations), through the same single
    /// writer: atomic, and on disk when the task completes if <paramref name="force"/> is true.
    /// </summary>
    public Task WriteAsync(Action<LiteDatabase> write, bool force, CancellationToken cancellationToken) =>
        _committer.WriteAsync(write, force, cancellationToken);

    /// <inheritdoc />
    public void Dispose() => _committer.Dispose();

    private void ThrowIfStopped()
    {
        if (_committer.Failure is { } failure) throw failure;
    }
}
