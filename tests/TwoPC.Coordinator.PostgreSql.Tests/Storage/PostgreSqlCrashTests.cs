using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Storage.PostgreSql;
using TwoPC.Coordinator.Tests.PostgreSql;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Tests.Storage;

/// <summary>
/// The durability contract against a real server crash: a private server is killed at once (pg_ctl stop -m
/// immediate: nothing is flushed, the WAL buffers are lost) and restarted (crash recovery). The WAL writer is slowed
/// down (wal_writer_delay = 10 s) so a lazy commit stays unflushed: only a forced commit or a flush saves it.
/// </summary>
/// <remarks>
/// Checked by hand that the rig can tell: a lazy save with neither a flush nor a later forced save was gone after
/// the crash (3 runs of 3); that check is not a test, since the WAL writer's own 10 s tick may flush it.
/// </remarks>
public sealed class PostgreSqlCrashTests(PostgreSqlCrashTests.PrivateServer server) : IClassFixture<PostgreSqlCrashTests.PrivateServer>, IAsyncLifetime
{
    private readonly PostgreSqlLogFactory _logs = new(server.ConnectionString);
    private readonly string _schema = PostgreSqlDatabase.NewSchema();

    private PostgreSqlLogFactory Logs => _logs;

    private static TransactionRecord Record(TransactionState state = TransactionState.Committing) => new()
    {
        Id = TransactionIds.New(),
        Mode = TransactionMode.TwoPhase,
        State = state,
        CreatedAt = DateTimeOffset.UtcNow,
        Deadline = DateTimeOffset.UtcNow.AddSeconds(30),
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _logs.DisposeAsync();

    private async Task<PostgreSqlTransactionLog> StartAsync()
    {
        var log = await Logs.OpenAsync(_schema);
        Assert.True(await log.RenewLeaseAsync(TimeSpan.FromMinutes(5), "", CancellationToken.None));
        return log;
    }

    private async Task<PostgreSqlTransactionLog> CrashAndReopenAsync()
    {
        server.Server.Crash();
        server.Server.Restart();
        return await Logs.OpenAsync(_schema);
    }

    [Fact]
    public async Task ForcedSaves_SurviveAServerCrash()
    {
        var log = await StartAsync();
        var records = Enumerable.Range(0, 5).Select(_ => Record()).ToList();
        await Task.WhenAll(records.Select(r => log.SaveAsync(r, WriteDurability.Forced, CancellationToken.None)));

        var reopened = await CrashAndReopenAsync();

        foreach (var r in records) Assert.NotNull(await reopened.GetAsync(r.Id, CancellationToken.None));
    }

    [Fact]
    public async Task LazySaves_SurviveAServerCrash_OnceFlushed()
    {
        var log = await StartAsync();
        var records = Enumerable.Range(0, 5).Select(_ => Record()).ToList();
        await Task.WhenAll(records.Select(r => log.SaveAsync(r, WriteDurability.Lazy, CancellationToken.None)));
        await log.FlushAsync(CancellationToken.None);

        var reopened = await CrashAndReopenAsync();

        foreach (var r in records) Assert.NotNull(await reopened.GetAsync(r.Id, CancellationToken.None));
    }

    [Fact]
    public async Task LazySave_SurvivesAServerCrash_AfterALaterForcedSave()
    {
        var log = await StartAsync();
        var lazy = Record();
        await log.SaveAsync(lazy, WriteDurability.Lazy, CancellationToken.None);
        await log.SaveAsync(Record(), WriteDurability.Forced, CancellationToken.None);

        var reopened = await CrashAndReopenAsync();

        Assert.NotNull(await reopened.GetAsync(lazy.Id, CancellationToken.None));
    }

    /// <summary>One private server for the class (the tests crash it in turn), with a database for the logs.</summary>
    public sealed class PrivateServer : IAsyncLifetime
    {
        private PostgreSqlServer? _server;
        private string? _connectionString;

        public PostgreSqlServer Server => _server!;

        public string ConnectionString => _connectionString!;

        public async Task InitializeAsync()
        {
            _server = PostgreSqlServer.StartPrivate("wal_writer_delay=10000", "autovacuum=off", "checkpoint_timeout=3600");
            _connectionString = await _server.CreateDatabaseAsync();
        }

        public Task DisposeAsync()
        {
            _server?.Dispose();
            return Task.CompletedTask;
        }
    }
}
