using Npgsql;

namespace TwoPC.Coordinator.Storage.PostgreSql;

/// <summary>
/// The log's tables, created and migrated on start. Each migration runs once, in order, recorded in
/// <c>twopc_schema</c>; every start takes a transaction-scoped advisory lock first, so several instances starting at
/// once on an empty database migrate it exactly once (the others wait, then find it done). The log identity is
/// inserted in the same transaction, so it exists, committed with synchronous_commit on, before any use.
/// </summary>
internal static class PostgreSqlSchema
{
    /// <summary>Migrations by version (index + 1). {0} is the quoted schema name. Never edit one that shipped: append.</summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE {0}.meta (
            key   text PRIMARY KEY,
            value text NOT NULL
        );
        CREATE SEQUENCE {0}.instance_epoch;
        CREATE TABLE {0}.instances (
            instance_id text PRIMARY KEY,
            epoch       bigint NOT NULL,
            address     text NOT NULL DEFAULT '',
            started_at  timestamptz NOT NULL,
            lease_until timestamptz NOT NULL
        );
        CREATE TABLE {0}.transactions (
            id              text PRIMARY KEY,
            state           integer NOT NULL,
            finished        boolean NOT NULL,
            completed_at    timestamptz,
            idempotency_key text,
            owner           text NOT NULL,
            presumed_abort  boolean NOT NULL DEFAULT false,
            updated_at      timestamptz NOT NULL,
            record          jsonb NOT NULL
        );
        CREATE UNIQUE INDEX transactions_idempotency_key ON {0}.transactions (idempotency_key) WHERE idempotency_key IS NOT NULL;
        CREATE INDEX transactions_unfinished ON {0}.transactions (owner, id) WHERE NOT finished;
        CREATE INDEX transactions_state ON {0}.transactions (state, id);
        """,
    ];

    /// <summary>The version this code writes.</summary>
    public static int CurrentVersion => Migrations.Length;

    /// <summary>
    /// Creates or migrates the schema and returns (log id, version before, version after). Idempotent; safe when
    /// several processes run it at once.
    /// </summary>
    public static async Task<(string LogId, int From, int To)> EnsureAsync(NpgsqlDataSource dataSource, string schema, CancellationToken cancellationToken)
    {
        var s = Quote(schema);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, tx, "SELECT pg_advisory_xact_lock(@key)", cancellationToken, ("key", LockKey(schema))).ConfigureAwait(false);
        await ExecuteAsync(connection, tx, $"CREATE SCHEMA IF NOT EXISTS {s}; CREATE TABLE IF NOT EXISTS {s}.twopc_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())", cancellationToken).ConfigureAwait(false);
        int from;
        await using (var read = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {s}.twopc_schema", connection, tx))
        {
            from = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }

        if (from > CurrentVersion)
        {
            throw new InvalidOperationException($"PostgreSQL decision log schema {schema} is at version {from}, newer than this coordinator's {CurrentVersion}: run a coordinator of that version or later");
        }

        for (var version = from + 1; version <= CurrentVersion; version++)
        {
            await ExecuteAsync(connection, tx, string.Format(System.Globalization.CultureInfo.InvariantCulture, Migrations[version - 1], s), cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, tx, $"INSERT INTO {s}.twopc_schema (version) VALUES (@v)", cancellationToken, ("v", version)).ConfigureAwait(false);
        }

        await ExecuteAsync(connection, tx, $"INSERT INTO {s}.meta (key, value) VALUES ('log_id', @id) ON CONFLICT (key) DO NOTHING", cancellationToken,
            ("id", Guid.NewGuid().ToString("N"))).ConfigureAwait(false);
        string logId;
        await using (var read = new NpgsqlCommand($"SELECT value FROM {s}.meta WHERE key = 'log_id'", connection, tx))
        {
            logId = (string)(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (logId, from, CurrentVersion);
    }

    /// <summary>The schema name as a quoted identifier (names are validated to [a-z0-9_] first).</summary>
    public static string Quote(string schema) => "\"" + schema.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    // A stable 64-bit key per schema (FNV-1a), so logs in different schemas never wait for each other.
    private static long LockKey(string schema)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in "twopc:" + schema)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return unchecked((long)hash);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
