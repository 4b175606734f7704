using System.Diagnostics;

namespace TwoPC.Demo.Cluster;

/// <summary>
/// The PostgreSQL server of the cluster demo: the one named by <c>TWOPC_POSTGRES</c> when set, otherwise a throwaway
/// server started with the repository's <c>.ci/postgres.sh</c> (the installed binaries; stopped and deleted after).
/// </summary>
internal sealed class ThrowawayPostgreSql : IAsyncDisposable
{
    private readonly string? _script;
    private readonly string? _dir;

    private ThrowawayPostgreSql(string connectionString, string description, string? script, string? dir)
    {
        ConnectionString = connectionString;
        Description = description;
        _script = script;
        _dir = dir;
    }

    public string ConnectionString { get; }

    public string Description { get; }

    public static async Task<ThrowawayPostgreSql> StartAsync(string dir, CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable("TWOPC_POSTGRES") is { Length: > 0 } given) return new(given, "TWOPC_POSTGRES", null, null);
        var script = FindScript() ?? throw new InvalidOperationException("--cluster needs PostgreSQL: set TWOPC_POSTGRES, or run from the repository (.ci/postgres.sh starts a throwaway server)");
        var (code, stdout, stderr) = await RunAsync(script, ["start", dir], cancellationToken).ConfigureAwait(false);
        if (code != 0) throw new InvalidOperationException($"could not start PostgreSQL with {script}: {stderr.Trim()}");
        return new(stdout.Trim(), "a throwaway server from .ci/postgres.sh", script, dir);
    }

    public async ValueTask DisposeAsync()
    {
        if (_script is not null && _dir is not null) await RunAsync(_script, ["stop", _dir], CancellationToken.None).ConfigureAwait(false);
    }

    private static string? FindScript()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, ".ci", "postgres.sh");
            if (File.Exists(candidate)) return candidate;
        }

        return null;
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string script, string[] args, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(script);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return (process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }
}
