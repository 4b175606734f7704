using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace TwoPC.Coordinator.Tests.PostgreSql;

/// <summary>
/// A real PostgreSQL server for tests. Uses the server named by the environment variable <c>TWOPC_POSTGRES</c> (an
/// Npgsql connection string whose user may create databases; <c>.ci/postgres.sh start</c> prints one) when set;
/// otherwise starts a throwaway one from the installed binaries (<c>/usr/lib/postgresql/*/bin</c>: initdb + pg_ctl
/// into a temporary directory, listening on 127.0.0.1 only at a free port, fsync on), stopped and deleted when the
/// test process exits. Without either, every test that asks for it fails with a message saying what is missing.
/// </summary>
public sealed class PostgreSqlServer : IDisposable
{
    /// <summary>The environment variable that names an existing server.</summary>
    public const string EnvironmentVariable = "TWOPC_POSTGRES";

    private static readonly Lazy<PostgreSqlServer> SharedServer = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    private string? _bin;
    private string? _dir;
    private string[] _asUser = [];
    private string? _serverOptions;
    private string? _stopScript;

    private PostgreSqlServer(string connectionString) => ConnectionString = connectionString;

    /// <summary>The one server of this test process (started on first use; a start failure fails every caller).</summary>
    public static PostgreSqlServer Shared => SharedServer.Value;

    /// <summary>A connection string to the server's maintenance database, as a user that may create databases.</summary>
    public string ConnectionString { get; }

    /// <summary>Creates an empty database and returns a connection string to it.</summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken cancellationToken = default)
    {
        var name = "twopc_test_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name, Pooling = true }.ConnectionString;
    }

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/>, closing its connections.</summary>
    public async Task DropDatabaseAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static PostgreSqlServer Start()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } given) return new PostgreSqlServer(given);
        var bin = FindBinaries() ?? throw new InvalidOperationException(
            $"No PostgreSQL server for the tests: {EnvironmentVariable} is not set and no initdb/pg_ctl were found under /usr/lib/postgresql/*/bin. " +
            "Install PostgreSQL (e.g. apt-get install postgresql) or set " + EnvironmentVariable + " to a connection string (see .ci/postgres.sh).");
        return StartOwn(bin);
    }

    private static string? FindBinaries()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root)) return null;
        return Directory.GetDirectories(root)
            .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
            .Where(d => File.Exists(Path.Combine(d.Dir, "initdb")) && File.Exists(Path.Combine(d.Dir, "pg_ctl")))
            .OrderByDescending(d => d.Version)
            .Select(d => d.Dir)
            .FirstOrDefault();
    }

    /// <summary>
    /// Starts a server of its own (never the one named by <c>TWOPC_POSTGRES</c>) that a test may crash and restart;
    /// <paramref name="settings"/> are extra <c>name=value</c> server settings. Dispose it at the end of the test.
    /// </summary>
    public static PostgreSqlServer StartPrivate(params string[] settings)
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException(
            "This test needs its own PostgreSQL server, which it cannot start: no initdb/pg_ctl were found under /usr/lib/postgresql/*/bin. Install PostgreSQL (e.g. apt-get install postgresql).");
        return StartOwn(bin, settings, atExit: false);
    }

    /// <summary>Crashes a server from <see cref="StartPrivate"/>: every process is killed at once, nothing is flushed.</summary>
    public void Crash() => Run([.. _asUser, Path.Combine(Bin, "pg_ctl"), "-D", DataDir, "-m", "immediate", "-w", "stop"]);

    /// <summary>Starts a crashed server again, on the same port (it runs crash recovery first).</summary>
    public void Restart() => Run([.. _asUser, Path.Combine(Bin, "pg_ctl"), "-D", DataDir, "-l", Path.Combine(_dir!, "server.log"), "-w", "-t", "60", "-o", _serverOptions!, "start"]);

    /// <summary>Stops a server from <see cref="StartPrivate"/> and deletes its files.</summary>
    public void Dispose()
    {
        if (_dir is not null) Shell(_stopScript!, wait: true);
    }

    private string Bin => _bin ?? throw new InvalidOperationException("not a server of this process");

    private string DataDir => Path.Combine(_dir ?? throw new InvalidOperationException("not a server of this process"), "data");

    private static PostgreSqlServer StartOwn(string bin, string[]? settings = null, bool atExit = true)
    {
        var dir = Path.Combine(Path.GetTempPath(), "twopc-postgres-" + Guid.NewGuid().ToString("N")[..12]);
        var data = Path.Combine(dir, "data");
        Directory.CreateDirectory(dir);
        // initdb refuses to run as root: run the server as the postgres user, owning its directory.
        string[] asUser = Environment.UserName == "root" ? ["runuser", "-u", "postgres", "--"] : [];
        if (asUser.Length > 0) Run(["chown", "-R", "postgres:", dir]);
        Run([.. asUser, Path.Combine(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]);
        var extra = string.Concat((settings ?? []).Select(x => " -c " + x));
        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var port = FreePort();
            var options = $"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={dir} -c fsync=on -c max_connections=300{extra}";
            try
            {
                Run([.. asUser, Path.Combine(bin, "pg_ctl"), "-D", data, "-l", Path.Combine(dir, "server.log"), "-w", "-t", "60", "-o", options, "start"]);
            }
            catch (InvalidOperationException e)
            {
                last = e;
                continue;
            }

            var stop = string.Join(' ', asUser) + $" {Path.Combine(bin, "pg_ctl")} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {dir}";
            if (atExit) AppDomain.CurrentDomain.ProcessExit += (_, _) => Shell(stop, wait: true);
            // Also when this process is killed: a watchdog stops the server once this process is gone.
            Shell($"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 2; done; {stop}", wait: false);
            return new PostgreSqlServer($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres")
            {
                _bin = bin, _dir = dir, _asUser = asUser, _serverOptions = options, _stopScript = stop,
            };
        }

        throw new InvalidOperationException($"Could not start PostgreSQL from {bin} in {dir}: {last?.Message}");
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static void Run(string[] command)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in command.Skip(1)) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not run {command[0]}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{string.Join(' ', command)}' exited with {process.ExitCode}: {stderr.Result.Trim()} {stdout.Result.Trim()}".ReplaceLineEndings(" "));
        }
    }

    private static void Shell(string script, bool wait)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = false, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(wait ? script : $"({script}) </dev/null >/dev/null 2>&1 &");
        using var process = Process.Start(start);
        process?.WaitForExit();
    }
}
