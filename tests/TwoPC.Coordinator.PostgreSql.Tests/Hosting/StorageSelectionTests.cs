using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Storage.LiteDb;
using TwoPC.Coordinator.Storage.PostgreSql;
using TwoPC.Coordinator.Tests.PostgreSql;

namespace TwoPC.Coordinator.Tests.Hosting;

/// <summary>The host picks its decision log from TwoPC:Coordinator:Storage; a bad value is one line naming the option.</summary>
public sealed class StorageSelectionTests(PostgreSqlDatabase database) : IClassFixture<PostgreSqlDatabase>, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "twopc-tests", Guid.NewGuid().ToString("N"));

    private ServiceProvider Build(params (string Key, string Value)[] settings)
    {
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(config);
        services.AddTwoPcCoordinator(o => o.DataPath = Path.Combine(_dir, "coordinator.db"));
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task StoragePostgreSql_RunsThePostgreSqlLog_WithThisInstanceRegistered()
    {
        var schema = PostgreSqlDatabase.NewSchema();
        await using var provider = Build(("TwoPC:Coordinator:Storage", "PostgreSql"),
            ("TwoPC:Coordinator:PostgreSql:ConnectionString", database.ConnectionString), ("TwoPC:Coordinator:PostgreSql:Schema", schema));

        var log = Assert.IsType<PostgreSqlTransactionLog>(provider.GetRequiredService<ITransactionLog>());

        Assert.Contains(schema, log.Where);
        // Registered at start: a later call renews (true); an unregistered instance's saves would be fenced.
        await log.SaveAsync(new Coordinator.Transactions.TransactionRecord { Id = Coordinator.Transactions.TransactionIds.New(), State = Coordinator.Transactions.TransactionState.Committing },
            WriteDurability.Forced, CancellationToken.None);
        Assert.True(await log.RenewLeaseAsync(TimeSpan.FromSeconds(30), "", CancellationToken.None));
    }

    [Fact]
    public async Task StorageUnset_RunsTheLiteDbLog()
    {
        await using var provider = Build();

        Assert.IsType<LiteDbTransactionLog>(provider.GetRequiredService<ITransactionLog>());
    }

    [Theory]
    [InlineData("Oracle", "x", "TwoPC:Coordinator:Storage must be LiteDb or PostgreSql (was 'Oracle')")]
    [InlineData("PostgreSql", "", "TwoPC:Coordinator:PostgreSql:ConnectionString is required")]
    public async Task BadStorageSettings_FailWithOneLineNamingTheOption(string storage, string connectionString, string expected)
    {
        await using var provider = Build(("TwoPC:Coordinator:Storage", storage), ("TwoPC:Coordinator:PostgreSql:ConnectionString", connectionString));

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<ITransactionLog>());

        Assert.StartsWith(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
