using System.Text.RegularExpressions;

namespace TwoPC.Coordinator.Storage.PostgreSql;

/// <summary>
/// Settings of <see cref="PostgreSqlTransactionLog"/> (host configuration section <c>TwoPC:Coordinator:PostgreSql</c>).
/// Validated when the log opens.
/// </summary>
public sealed partial class PostgreSqlLogOptions
{
    /// <summary>Npgsql connection string of the shared database. Required; no default.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// The PostgreSQL schema that holds the log's tables (created on start when missing). Another schema is another
    /// log, with its own identity. Lower-case letters, digits and underscores. Default <c>twopc</c>.
    /// </summary>
    public string Schema { get; set; } = "twopc";

    /// <summary>Most saves written in one database transaction (group commit). Default 256.</summary>
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>
    /// The first problem with these settings, as one line naming the option under <paramref name="prefix"/>
    /// (e.g. <c>TwoPC:Coordinator:PostgreSql:</c>); null when they are valid.
    /// </summary>
    public string? Validate(string prefix = "")
    {
        if (string.IsNullOrWhiteSpace(ConnectionString)) return $"{prefix}{nameof(ConnectionString)} is required (an Npgsql connection string, e.g. Host=127.0.0.1;Port=5432;Database=twopc;Username=twopc)";
        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString);
        }
        catch (ArgumentException e)
        {
            return $"{prefix}{nameof(ConnectionString)} is not a valid Npgsql connection string: {e.Message.ReplaceLineEndings(" ")}";
        }

        if (Schema is null || !SchemaName().IsMatch(Schema)) return $"{prefix}{nameof(Schema)} must be 1-63 lower-case letters, digits or underscores, starting with a letter or underscore (was '{Schema}')";
        if (MaxBatchSize is < 1 or > 100_000) return $"{prefix}{nameof(MaxBatchSize)} must be between 1 and 100000 (was {MaxBatchSize})";
        return null;
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();
}
