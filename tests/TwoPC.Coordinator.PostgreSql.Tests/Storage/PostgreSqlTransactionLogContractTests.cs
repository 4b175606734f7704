using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Tests.PostgreSql;

namespace TwoPC.Coordinator.Tests.Storage;

/// <summary>
/// The storage contract suite, unchanged, on a real PostgreSQL. Each CreateLog is a new schema (a fresh, empty log);
/// a "crash" drops the log object and opens a new instance on the same schema: a client crash loses nothing a
/// commit returned for, and forced commits reach the disk because synchronous_commit is on (see
/// PostgreSqlTransactionLogTests for that check).
/// </summary>
public sealed class PostgreSqlTransactionLogContractTests(PostgreSqlDatabase database) : TransactionLogContractTests, IClassFixture<PostgreSqlDatabase>, IAsyncLifetime
{
    private readonly PostgreSqlLogFactory _logs = new(database.ConnectionString);
    private readonly Dictionary<ITransactionLog, string> _schemas = [];

    protected override ITransactionLog CreateLog() => Open(PostgreSqlDatabase.NewSchema());

    protected override ITransactionLog CrashAndReopen(ITransactionLog log)
    {
        var schema = _schemas[log];
        Task.Run(async () => await ((IAsyncDisposable)log).DisposeAsync()).GetAwaiter().GetResult();
        return Open(schema);
    }

    private ITransactionLog Open(string schema)
    {
        var log = Task.Run(async () =>
        {
            var opened = await _logs.OpenAsync(schema);
            Assert.True(await opened.RenewLeaseAsync(TimeSpan.FromMinutes(5), "", CancellationToken.None));
            return opened;
        }).GetAwaiter().GetResult();
        _schemas[log] = schema;
        return log;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _logs.DisposeAsync();
}
