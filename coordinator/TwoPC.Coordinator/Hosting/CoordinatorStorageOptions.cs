using Microsoft.Extensions.Options;
using TwoPC.Coordinator.Storage.PostgreSql;

namespace TwoPC.Coordinator.Hosting;

/// <summary>
/// Which decision log the coordinator runs (configuration section <c>TwoPC:Coordinator</c>: <c>Storage</c> and
/// <c>PostgreSql:*</c>). Validated on start.
/// </summary>
public sealed class CoordinatorStorageOptions
{
    /// <summary>The embedded LiteDB file at <see cref="CoordinatorOptions.DataPath"/>: one instance, nothing to install.</summary>
    public const string LiteDbStorage = "LiteDb";

    /// <summary>A PostgreSQL database shared by several coordinator instances (<see cref="PostgreSql"/>).</summary>
    public const string PostgreSqlStorage = "PostgreSql";

    /// <summary><c>LiteDb</c> or <c>PostgreSql</c> (case-insensitive). Default <c>LiteDb</c>.</summary>
    public string Storage { get; set; } = LiteDbStorage;

    /// <summary>The PostgreSQL log's settings; <c>ConnectionString</c> is required when <see cref="Storage"/> is <c>PostgreSql</c>.</summary>
    public PostgreSqlLogOptions PostgreSql { get; set; } = new();

    /// <summary>True when <see cref="Storage"/> selects PostgreSQL.</summary>
    public bool UsesPostgreSql => string.Equals(Storage, PostgreSqlStorage, StringComparison.OrdinalIgnoreCase);
}

/// <summary>One line naming the option: an unknown storage, or a PostgreSQL setting that is missing or invalid.</summary>
internal sealed class CoordinatorStorageOptionsValidator : IValidateOptions<CoordinatorStorageOptions>
{
    public const string Section = "TwoPC:Coordinator";

    public ValidateOptionsResult Validate(string? name, CoordinatorStorageOptions options)
    {
        if (!options.UsesPostgreSql && !string.Equals(options.Storage, CoordinatorStorageOptions.LiteDbStorage, StringComparison.OrdinalIgnoreCase))
        {
            return ValidateOptionsResult.Fail($"{Section}:Storage must be {CoordinatorStorageOptions.LiteDbStorage} or {CoordinatorStorageOptions.PostgreSqlStorage} (was '{options.Storage}')");
        }

        if (options.UsesPostgreSql && options.PostgreSql.Validate($"{Section}:PostgreSql:") is { } error)
        {
            return ValidateOptionsResult.Fail($"{error} ({Section}:Storage is {CoordinatorStorageOptions.PostgreSqlStorage})");
        }

        return ValidateOptionsResult.Success;
    }
}
