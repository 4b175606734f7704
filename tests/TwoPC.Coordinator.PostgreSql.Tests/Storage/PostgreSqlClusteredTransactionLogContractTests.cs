using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Tests.PostgreSql;

namespace TwoPC.Coordinator.Tests.Storage;

/// <summary>The cluster contract suite on a real PostgreSQL: a store is a schema, an instance a log object on it.</summary>
public sealed class PostgreSqlClusteredTransactionLogContractTests(PostgreSqlDatabase database) : ClusteredTransactionLogContractTests, IClassFixture<PostgreSqlDatabase>, IAsyncLifetime
{
    private readonly PostgreSqlLogFactory _logs = new(database.ConnectionString);

    protected override string NewStore() => PostgreSqlDatabase.NewSchema();

    protected override async Task<IClusteredTransactionLog> OpenInstanceAsync(string store) => await _logs.OpenAsync(store);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _logs.DisposeAsync();
}
