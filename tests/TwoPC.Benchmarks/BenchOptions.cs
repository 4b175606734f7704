using System.Globalization;

namespace TwoPC.Benchmarks;

/// <summary>The command line: <c>--mode 2pc|saga|floor|all --concurrency 1,16,64,256 --duration 10 [--participants 2] [--json FILE]</c>.</summary>
internal sealed record BenchOptions(
    IReadOnlyList<string> Modes,
    IReadOnlyList<int> Concurrency,
    TimeSpan Duration,
    TimeSpan Warmup,
    int Participants,
    string? JsonPath,
    string? DocsDirectory,
    bool WaitForCompletion,
    bool EnlistSeparately,
    string Storage = "litedb")
{
    public const string Usage =
        "usage: --mode 2pc|saga|floor|all[,..] --concurrency 1,16,64,256 --duration SECONDS [--participants 2] " +
        "[--json results.json] [--warmup SECONDS] [--docs DIR|none] [--wait-for-completion] [--enlist-separately] [--storage litedb|postgres]";

    public static BenchOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{args[i]}'");
            var name = args[i][2..];
            if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) values[name] = args[++i];
            else flags.Add(name);
        }

        var modes = Get(values, "mode", "all").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .SelectMany(m => m == "all" ? new[] { "floor", "2pc", "saga" } : new[] { m })
            .Distinct()
            .ToList();
        foreach (var m in modes)
        {
            if (m is not ("2pc" or "saga" or "floor")) throw new ArgumentException($"unknown mode '{m}'");
        }

        // The floor runs first so that 2pc and saga lines can carry their ratio.
        modes = modes.OrderBy(m => m == "floor" ? 0 : 1).ToList();
        var concurrency = Get(values, "concurrency", "1,16,64,256").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
        if (concurrency.Any(c => c < 1)) throw new ArgumentException("concurrency must be at least 1");
        var participants = int.Parse(Get(values, "participants", "2"), CultureInfo.InvariantCulture);
        if (participants < 2) throw new ArgumentException("--participants must be at least 2 (a transfer debits one and credits the others)");
        var docs = values.GetValueOrDefault("docs");
        var storage = Get(values, "storage", "litedb");
        if (storage is not ("litedb" or "postgres")) throw new ArgumentException($"--storage must be litedb or postgres (was '{storage}')");
        return new BenchOptions(
            modes,
            concurrency,
            Seconds(Get(values, "duration", "10")),
            Seconds(Get(values, "warmup", "5")),
            participants,
            values.GetValueOrDefault("json"),
            docs == "none" ? "" : docs,
            flags.Contains("wait-for-completion"),
            // 2pc: Begin, parallel Enlists, Commit (4 calls) instead of Begin carrying the branches + Commit (2 calls).
            flags.Contains("enlist-separately"),
            storage);
    }

    private static string Get(Dictionary<string, string> values, string name, string fallback) => values.GetValueOrDefault(name, fallback);

    private static TimeSpan Seconds(string s) => TimeSpan.FromSeconds(double.Parse(s, CultureInfo.InvariantCulture));
}
