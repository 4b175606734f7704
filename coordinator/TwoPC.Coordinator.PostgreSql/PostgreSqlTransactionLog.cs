using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using TwoPC.Coordinator.Transactions;
using TwoPC.Durability;

namespace TwoPC.Coordinator.Storage.PostgreSql;

/// <summary>
/// A decision log in PostgreSQL, shared by several coordinator instances (<see cref="IClusteredTransactionLog"/>;
/// see there and <see cref="ITransactionLog"/> for the contracts, and docs/postgresql.md for the design).
/// </summary>
/// <remarks>
/// Forced writes are database commits with <c>synchronous_commit = on</c> (set on every connection and checked at
/// open, together with <c>fsync</c>). Saves go through one writer loop that folds concurrent saves into one
/// multi-row, fenced upsert: one round trip and one WAL flush for the batch. A failed forced write or a fenced save
/// calls <see cref="IStorageFailStop"/>; after a failed forced write every later write fails too.
/// </remarks>
public sealed partial class PostgreSqlTransactionLog : IClusteredTransactionLog, IAsyncDisposable, IDisposable
{
    private static readonly int[] FinishedStates = Enum.GetValues<TransactionState>().Where(s => s.IsFinished()).Select(s => (int)s).ToArray();
    private readonly NpgsqlDataSource _dataSource;
    private readonly IStorageFailStop _failStop;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _schema;
    private readonly int _maxBatchSize;
    private readonly Sql _sql;
    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private readonly SemaphoreSlim _leaseGate = new(1, 1);
    private bool _registered;
    private bool _leaseLost;

    private PostgreSqlTransactionLog(NpgsqlDataSource dataSource, PostgreSqlLogOptions options, string logId, IStorageFailStop failStop, ILogger logger, TimeProvider timeProvider)
    {
        _time = timeProvider;
        _dataSource = dataSource;
        _schema = options.Schema;
        _maxBatchSize = options.MaxBatchSize;
        _sql = new Sql(PostgreSqlSchema.Quote(options.Schema));
        _failStop = failStop;
        _logger = logger;
        LogId = logId;
        var b = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        Where = $"postgresql://{b.Host}:{b.Port}/{b.Database} schema {options.Schema}";
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>
    /// Connects, checks that commits are forced (<c>fsync</c> and <c>synchronous_commit</c> on), creates or migrates
    /// the schema and reads (or creates, once) the log identity. Throws a one-line error for invalid options.
    /// </summary>
    /// <param name="options">Connection string, schema, batch size.</param>
    /// <param name="failStop">Called once when a forced write fails or a save is fenced (the host ends the process).</param>
    /// <param name="logger">Where the log writes its messages; none when null.</param>
    /// <param name="cancellationToken">Cancels the opening.</param>
    public static Task<PostgreSqlTransactionLog> OpenAsync(PostgreSqlLogOptions options, IStorageFailStop failStop, ILogger? logger, CancellationToken cancellationToken) =>
        OpenAsync(options, failStop, logger, TimeProvider.System, cancellationToken);

    /// <inheritdoc cref="OpenAsync(PostgreSqlLogOptions, IStorageFailStop, ILogger?, CancellationToken)"/>
    /// <param name="options">Connection string, schema, batch size.</param>
    /// <param name="failStop">Called once when a forced write fails or a save is fenced (the host ends the process).</param>
    /// <param name="logger">Where the log writes its messages; none when null.</param>
    /// <param name="timeProvider">The clock of the times written into presumed-abort records (leases use the database's clock).</param>
    /// <param name="cancellationToken">Cancels the opening.</param>
    public static async Task<PostgreSqlTransactionLog> OpenAsync(PostgreSqlLogOptions options, IStorageFailStop failStop, ILogger? logger, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(failStop);
        if (options.Validate() is { } error) throw new InvalidOperationException(error);
        logger ??= NullLogger.Instance;
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        // Every connection commits synchronously whatever the server or role default: the commit is the forced write.
        builder.Options = ((builder.Options ?? "") + " -c synchronous_commit=on").Trim();
        var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        try
        {
            await CheckDurabilityAsync(dataSource, cancellationToken).ConfigureAwait(false);
            var (logId, from, to) = await PostgreSqlSchema.EnsureAsync(dataSource, options.Schema, cancellationToken).ConfigureAwait(false);
            if (from != to) PostgreSqlLog.SchemaMigrated(logger, options.Schema, from, to);
            var log = new PostgreSqlTransactionLog(dataSource, options, logId, failStop, logger, timeProvider);
            PostgreSqlLog.Opened(logger, log.Where, logId, to, log.InstanceId);
            return log;
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task CheckDurabilityAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT current_setting('fsync'), current_setting('synchronous_commit')");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var (fsync, synchronousCommit) = (reader.GetString(0), reader.GetString(1));
        if (fsync != "on") throw new InvalidOperationException($"PostgreSQL runs with fsync = {fsync}: its commits do not reach the disk, so it cannot hold the decision log (set fsync = on)");
        if (synchronousCommit == "off") throw new InvalidOperationException($"PostgreSQL connections run with synchronous_commit = {synchronousCommit} although the log asked for on");
    }

    /// <inheritdoc />
    /// <remarks>Stored in the <c>meta</c> table; created in the transaction that creates the schema. Every instance on the schema reports it.</remarks>
    public string LogId { get; }

    /// <inheritdoc />
    public string InstanceId { get; } = Guid.NewGuid().ToString("N");

    /// <summary>Where the log lives (host, port, database, schema), for logs and errors; no credentials.</summary>
    public string Where { get; }

    /// <summary>The connections' source, for tests.</summary>
    internal NpgsqlDataSource DataSource => _dataSource;

    /// <summary>The quoted schema name, for tests.</summary>
    internal string QuotedSchema => PostgreSqlSchema.Quote(_schema);

    /// <summary>Database transactions the writer committed (group commits), for diagnostics and tests.</summary>
    public long BatchesCommitted => Interlocked.Read(ref _batchesCommitted);

    /// <summary>Saves the writer committed (in <see cref="BatchesCommitted"/> transactions).</summary>
    public long SavesCommitted => Interlocked.Read(ref _savesCommitted);

    /// <inheritdoc />
    public async Task<TransactionRecord?> GetAsync(string transactionId, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.Get);
        command.Parameters.AddWithValue("id", transactionId);
        return (await ReadRecordsAsync(command, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
    }

    /// <inheritdoc />
    public async Task<TransactionRecord?> FindByIdempotencyKeyAsync(string idempotencyKey, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.FindByKey);
        command.Parameters.AddWithValue("key", idempotencyKey);
        return (await ReadRecordsAsync(command, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
    }

    /// <inheritdoc />
    /// <remarks>Every instance's unfinished records, as the contract says; a cluster resumes others' through <see cref="ClaimOrphansAsync"/>.</remarks>
    public async Task<IReadOnlyList<TransactionRecord>> LoadUnfinishedAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.LoadUnfinished);
        return await ReadRecordsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TransactionRecord>> ListAsync(IReadOnlyCollection<TransactionState> states, string? afterId, int limit, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_sql.List);
        command.Parameters.AddWithValue("states", states.Select(s => (int)s).ToArray());
        command.Parameters.Add(new NpgsqlParameter("after", NpgsqlDbType.Text) { Value = (object?)afterId ?? DBNull.Value });
        command.Parameters.AddWithValue("limit", limit);
        return await ReadRecordsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>Any instance may forget finished records; the delete is lazy (a lost delete is repeated by the next sweep).</remarks>
    public async Task<int> ForgetFinishedAsync(DateTimeOffset completedBefore, int limit, CancellationToken cancellationToken)
    {
        await using var batch = _dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(Sql.Lazy));
        var delete = new NpgsqlBatchCommand(_sql.Forget);
        delete.Parameters.AddWithValue("states", FinishedStates);
        delete.Parameters.AddWithValue("before", completedBefore.UtcDateTime);
        // Ids sort by creation and a transaction completes after it is created: only ids below the cutoff's qualify.
        delete.Parameters.AddWithValue("below", TransactionIds.LowerBound(completedBefore));
        delete.Parameters.AddWithValue("limit", limit);
        batch.BatchCommands.Add(delete);
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return delete.RecordsAffected;
    }

    private static async Task<IReadOnlyList<TransactionRecord>> ReadRecordsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var list = new List<TransactionRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) list.Add(TransactionJson.Deserialize(reader.GetString(0)));
        return list;
    }

    /// <summary>Stops the writer after the queued saves, then closes the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await _writer.ConfigureAwait(false);
        }
        finally
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
            _leaseGate.Dispose();
        }
    }

    /// <inheritdoc />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
