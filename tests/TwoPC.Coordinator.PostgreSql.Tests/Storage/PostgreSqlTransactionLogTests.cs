using Npgsql;
using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Storage.PostgreSql;
using TwoPC.Coordinator.Tests.PostgreSql;
using TwoPC.Coordinator.Transactions;
using TwoPC.Durability;

namespace TwoPC.Coordinator.Tests.Storage;

/// <summary>
/// What only the PostgreSQL log promises: group commit (observed through the rows' xmin, the id of the database
/// transaction that wrote them), fencing inside a batch, an ambiguous commit, the schema, synchronous commits.
/// </summary>
public sealed class PostgreSqlTransactionLogTests(PostgreSqlDatabase database) : IClassFixture<PostgreSqlDatabase>, IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);
    private readonly PostgreSqlLogFactory _logs = new(database.ConnectionString);

    private static TransactionRecord Record(TransactionState state = TransactionState.Committing) => new()
    {
        Id = TransactionIds.New(),
        Mode = TransactionMode.TwoPhase,
        State = state,
        CreatedAt = DateTimeOffset.UtcNow,
        Deadline = DateTimeOffset.UtcNow.AddSeconds(30),
        Branches = [new BranchRecord { BranchId = 1, ParticipantAddress = "http://127.0.0.1:1", Resource = "a", State = BranchState.Prepared, Vote = Vote.Prepared }],
    };

    private async Task<PostgreSqlTransactionLog> StartAsync(string schema, int maxBatchSize = 256)
    {
        var log = await _logs.OpenAsync(schema, maxBatchSize);
        Assert.True(await log.RenewLeaseAsync(Lease, "", CancellationToken.None));
        return log;
    }

    [Fact]
    public async Task ConcurrentForcedSaves_AreCommittedInOneDatabaseTransaction()
    {
        var log = await StartAsync(PostgreSqlDatabase.NewSchema());
        await using var held = await HoldWriterAsync(log);
        var batchesBefore = log.BatchesCommitted;

        var records = Enumerable.Range(0, 30).Select(_ => Record()).ToList();
        var saves = records.Select(r => log.SaveAsync(r, WriteDurability.Forced, CancellationToken.None)).ToList();
        await held.ReleaseAsync();
        await Task.WhenAll(saves);

        // One transaction wrote all 30 (the 30 rows share one xmin), and the writer committed two: the held save's, then this batch.
        Assert.Equal(1, await DistinctWritersAsync(log, records));
        Assert.Equal(2, log.BatchesCommitted - batchesBefore);
    }

    [Fact]
    public async Task FencedRecordInABatch_FailsAlone_AndTheOthersCommitInTheSameTransaction()
    {
        var schema = PostgreSqlDatabase.NewSchema();
        var a = await StartAsync(schema);
        var b = await StartAsync(schema);
        var theirs = Record();
        await b.SaveAsync(theirs, WriteDurability.Forced, CancellationToken.None);
        await using var held = await HoldWriterAsync(a);

        var mine = Enumerable.Range(0, 20).Select(_ => Record()).ToList();
        var saves = mine.Select(r => a.SaveAsync(r, WriteDurability.Forced, CancellationToken.None)).ToList();
        var fenced = a.SaveAsync(theirs.Clone(), WriteDurability.Forced, CancellationToken.None);
        await held.ReleaseAsync();

        await Task.WhenAll(saves);
        Assert.Equal(theirs.Id, (await Assert.ThrowsAsync<OwnershipLostException>(() => fenced)).TransactionId);
        Assert.Equal(1, await DistinctWritersAsync(a, mine));
        var stop = Assert.Single(_logs.FailStops);
        Assert.Same(a, stop.Log);
        Assert.IsType<OwnershipLostException>(stop.Failure.InnerException);
    }

    [Fact]
    public async Task ForcedSave_WhenTheConnectionDiesDuringTheWrite_Throws_FailsStop_AndRefusesLaterWrites()
    {
        var log = await StartAsync(PostgreSqlDatabase.NewSchema());
        var before = Record(TransactionState.Preparing);
        await log.SaveAsync(before, WriteDurability.Forced, CancellationToken.None);
        var decided = before.Clone();
        decided.State = TransactionState.Committing;
        await using var held = await HoldWriterAsync(log, before, decided);

        await held.KillWriterAsync();

        var failure = await Assert.ThrowsAsync<StorageFailedException>(() => held.HeldSave);
        Assert.IsAssignableFrom<NpgsqlException>(failure.InnerException);
        Assert.Same(log, Assert.Single(_logs.FailStops).Log);
        await Assert.ThrowsAsync<StorageFailedException>(() => log.SaveAsync(Record(), WriteDurability.Forced, CancellationToken.None));
        await Assert.ThrowsAsync<StorageFailedException>(() => log.FlushAsync(CancellationToken.None));
        Assert.Equal(TransactionState.Preparing, (await log.GetAsync(before.Id, CancellationToken.None))?.State);
    }

    [Fact]
    public async Task IdempotencyKeyOfAnotherTransaction_FailsOnlyThatSave_InOrAcrossBatches()
    {
        var log = await StartAsync(PostgreSqlDatabase.NewSchema());
        var first = Record();
        first.IdempotencyKey = "order-1";
        await log.SaveAsync(first, WriteDurability.Forced, CancellationToken.None);
        var across = Record();
        across.IdempotencyKey = "order-1";
        await using var held = await HoldWriterAsync(log);
        var second = Record();
        second.IdempotencyKey = "order-2";
        var within = Record();
        within.IdempotencyKey = "order-2";
        var bystander = Record();

        var saves = new[] { across, second, within, bystander }.Select(r => log.SaveAsync(r, WriteDurability.Forced, CancellationToken.None)).ToList();
        await held.ReleaseAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => saves[0]);
        await saves[1];
        await Assert.ThrowsAsync<InvalidOperationException>(() => saves[2]);
        await saves[3];
        Assert.Equal(first.Id, (await log.FindByIdempotencyKeyAsync("order-1", CancellationToken.None))?.Id);
        Assert.Equal(second.Id, (await log.FindByIdempotencyKeyAsync("order-2", CancellationToken.None))?.Id);
        Assert.Null(await log.GetAsync(across.Id, CancellationToken.None));
        Assert.Null(await log.GetAsync(within.Id, CancellationToken.None));
        Assert.Empty(_logs.FailStops);
    }

    [Fact]
    public async Task SavesOfOneId_LazyAndForcedMixed_AreAppliedInIssueOrder()
    {
        var log = await StartAsync(PostgreSqlDatabase.NewSchema(), maxBatchSize: 4);
        var record = Record();
        var saves = new List<Task>();
        for (var i = 1; i <= 40; i++)
        {
            record.Branches[0].Attempts = i;
            saves.Add(log.SaveAsync(record.Clone(), i % 3 == 0 ? WriteDurability.Forced : WriteDurability.Lazy, CancellationToken.None));
        }

        await Task.WhenAll(saves);

        Assert.Equal(40, (await log.GetAsync(record.Id, CancellationToken.None))!.Branches[0].Attempts);
    }

    [Fact]
    public async Task Schema_IsCreatedOnce_VersionedInTwopcSchema_AndReopeningChangesNothing()
    {
        var schema = PostgreSqlDatabase.NewSchema();
        var first = await _logs.OpenAsync(schema);
        var second = await _logs.OpenAsync(schema);

        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        Assert.Equal([1], await ReadAsync<int>(connection, $"SELECT version FROM {first.QuotedSchema}.twopc_schema ORDER BY version"));
        Assert.Equal([first.LogId], await ReadAsync<string>(connection, $"SELECT value FROM {first.QuotedSchema}.meta WHERE key = 'log_id'"));
        Assert.Equal(first.LogId, second.LogId);
        Assert.Equal(["instances", "meta", "transactions", "twopc_schema"],
            await ReadAsync<string>(connection, $"SELECT table_name::text FROM information_schema.tables WHERE table_schema = '{schema}' ORDER BY 1"));
    }

    [Fact]
    public async Task Connections_CommitSynchronously_EvenWhenTheConnectionStringAsksOtherwise()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Options = "-c synchronous_commit=off" }.ConnectionString;
        await using var log = await PostgreSqlTransactionLog.OpenAsync(new PostgreSqlLogOptions { ConnectionString = connectionString, Schema = PostgreSqlDatabase.NewSchema() },
            new NoFailStop(), logger: null, CancellationToken.None);

        await using var command = log.DataSource.CreateCommand("SELECT current_setting('synchronous_commit'), current_setting('fsync')");
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(("on", "on"), (reader.GetString(0), reader.GetString(1)));
    }

    [Theory]
    [InlineData("", "twopc", 256, "ConnectionString is required")]
    [InlineData("Host=127.0.0.1;Nonsense=1", "twopc", 256, "ConnectionString is not a valid")]
    [InlineData("Host=127.0.0.1", "Bad-Name", 256, "Schema must be")]
    [InlineData("Host=127.0.0.1", "twopc", 0, "MaxBatchSize must be")]
    public async Task Open_WithInvalidOptions_FailsWithOneLineNamingTheOption(string connectionString, string schema, int maxBatchSize, string expected)
    {
        var options = new PostgreSqlLogOptions { ConnectionString = connectionString, Schema = schema, MaxBatchSize = maxBatchSize };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgreSqlTransactionLog.OpenAsync(options, new NoFailStop(), null, CancellationToken.None));

        Assert.StartsWith(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _logs.DisposeAsync();

    private static async Task<List<T>> ReadAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var list = new List<T>();
        while (await reader.ReadAsync()) list.Add(reader.GetFieldValue<T>(0));
        return list;
    }

    private async Task<long> DistinctWritersAsync(PostgreSqlTransactionLog log, IEnumerable<TransactionRecord> records)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(DISTINCT xmin::text) FROM {log.QuotedSchema}.transactions WHERE id = ANY(@ids)", connection);
        command.Parameters.AddWithValue("ids", records.Select(r => r.Id).ToArray());
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Holds the log's writer inside a batch: another connection locks a row the writer then updates, so saves issued
    /// meanwhile queue up behind it; returns once the writer's backend waits for that lock.
    /// </summary>
    private async Task<HeldWriter> HoldWriterAsync(PostgreSqlTransactionLog log, TransactionRecord? existing = null, TransactionRecord? heldVersion = null)
    {
        var blocker = existing;
        if (blocker is null)
        {
            blocker = Record();
            await log.SaveAsync(blocker, WriteDurability.Forced, CancellationToken.None);
        }

        var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        var tx = await connection.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand($"SELECT 1 FROM {log.QuotedSchema}.transactions WHERE id = @id FOR UPDATE", connection, tx))
        {
            lockRow.Parameters.AddWithValue("id", blocker.Id);
            await lockRow.ExecuteNonQueryAsync();
        }

        var held = new HeldWriter(connection, tx, log.SaveAsync(heldVersion ?? blocker.Clone(), WriteDurability.Forced, CancellationToken.None));
        await held.WaitForWaiterAsync();
        return held;
    }

    private sealed class HeldWriter(NpgsqlConnection connection, NpgsqlTransaction tx, Task heldSave) : IAsyncDisposable
    {
        private int _waiterPid;

        /// <summary>The save the writer is stuck in.</summary>
        public Task HeldSave => heldSave;

        public async Task WaitForWaiterAsync()
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (true)
            {
                await using var command = new NpgsqlCommand("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()", connection, tx);
                if (await command.ExecuteScalarAsync() is int pid)
                {
                    _waiterPid = pid;
                    return;
                }

                Assert.True(DateTime.UtcNow < deadline, "the log's writer never waited for the held row lock");
                await Task.Delay(20);
            }
        }

        public async Task ReleaseAsync()
        {
            await tx.RollbackAsync();
            await heldSave;
        }

        public async Task KillWriterAsync()
        {
            await using var command = new NpgsqlCommand("SELECT pg_terminate_backend(@pid)", connection, tx);
            command.Parameters.AddWithValue("pid", _waiterPid);
            await command.ExecuteNonQueryAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await tx.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    private sealed class NoFailStop : IStorageFailStop
    {
        public void Stop(StorageFailedException failure) => throw new InvalidOperationException("no fail-stop expected", failure);
    }
}
