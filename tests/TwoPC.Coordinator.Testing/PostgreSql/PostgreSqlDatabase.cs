namespace TwoPC.Coordinator.Tests.PostgreSql;

/// <summary>
/// A fresh, empty database on <see cref="PostgreSqlServer.Shared"/> for one test class (<c>IClassFixture</c>),
/// dropped after the class.
/// </summary>
public sealed class PostgreSqlDatabase : IAsyncLifetime
{
    private string? _connectionString;

    /// <summary>The database's connection string.</summary>
    public string ConnectionString => _connectionString ?? throw new InvalidOperationException("the database is created in InitializeAsync");

    /// <summary>A schema name no other test of the class uses: a fresh, empty log inside the class's database.</summary>
    public static string NewSchema() => "t_" + Guid.NewGuid().ToString("N")[..16];

    /// <inheritdoc />
    public async Task InitializeAsync() => _connectionString = await PostgreSqlServer.Shared.CreateDatabaseAsync();

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_connectionString is not null) await PostgreSqlServer.Shared.DropDatabaseAsync(_connectionString);
    }
}
