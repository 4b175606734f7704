using System.Diagnostics;

namespace TwoPC.Benchmarks;

/// <summary>The PostgreSQL server of <c>--storage postgres</c>: <c>TWOPC_POSTGRES</c>, or a throwaway one from <c>.ci/postgres.sh</c>.</summary>
internal sealed class BenchPostgreSql : IAsyncDisposable
{
    private readonly string? _dir;

    private BenchPostgreSql(string connectionString, string description, string? dir)
    {
        ConnectionString = connectionString;
        Description = description;
        _dir = dir;
    }

    public string ConnectionString { get; }

    public string Description { get; }

    private static string Script => Path.Combine(RepositoryRoot.Find(), ".ci", "postgres.sh");

    public static async Task<BenchPostgreSql> StartAsync(CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable("TWOPC_POSTGRES") is { Length: > 0 } given) return new(given, "TWOPC_POSTGRES", null);
        var dir = Path.Combine(Path.GetTempPath(), "twopc-bench-pg-" + Guid.NewGuid().ToString("N")[..8]);
        var (code, stdout, stderr) = await RunAsync(["start", dir], cancellationToken).ConfigureAwait(false);
        if (code != 0) throw new InvalidOperationException($"could not start PostgreSQL with {Script}: {stderr.Trim()}");
        return new(stdout.Trim(), "a throwaway server from .ci/postgres.sh", dir);
    }

    public async ValueTask DisposeAsync()
    {
        if (_dir is not null) await RunAsync(["stop", _dir], CancellationToken.None).ConfigureAwait(false);
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Script);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return (process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }
}
