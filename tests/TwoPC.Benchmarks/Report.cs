using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TwoPC.Benchmarks;

/// <summary>The RESULT/RATIO lines and the JSON file.</summary>
internal static class Report
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string ResultLine(LevelResult r) => string.Create(CultureInfo.InvariantCulture,
        $"RESULT mode={r.Mode} concurrency={r.Concurrency} participants={r.Participants} tps={r.Tps:F0} p50_ms={r.P50Ms:F2} p99_ms={r.P99Ms:F2} fsyncs_per_tx={r.FsyncsPerTx:F3} rss_mb={r.RssMb:F0}");

    public static string RatioLine(LevelResult r) => string.Create(CultureInfo.InvariantCulture,
        $"RATIO mode={r.Mode} concurrency={r.Concurrency} vs_floor={r.VsFloor:F2}");

    public static string DetailLine(LevelResult r) => string.Create(CultureInfo.InvariantCulture,
        $"# {r.Mode} c={r.Concurrency}: committed={r.Committed} aborted={r.Aborted} errors={r.Errors} window_s={r.Seconds:F1} rss_mb_per_process=[{string.Join(",", r.RssMbPerProcess.Select(m => m.ToString("F0", CultureInfo.InvariantCulture)))}] " +
        $"cpu_ms_per_tx(coordinator,participants..,client)=[{string.Join(",", r.CpuMsPerTx.Select(m => m.ToString("F3", CultureInfo.InvariantCulture)))}] total={r.CpuMsPerTx.Sum():F3}");

    public static async Task WriteJsonAsync(string path, BenchOptions options, IReadOnlyList<LevelResult> results, CancellationToken cancellationToken)
    {
        var document = new
        {
            Command = string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            StartedUtc = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            Machine = new { Environment.ProcessorCount, Os = System.Runtime.InteropServices.RuntimeInformation.OSDescription, Runtime = Environment.Version.ToString() },
            DurationSeconds = options.Duration.TotalSeconds,
            options.WaitForCompletion,
            Results = results,
        };
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(document, Json), cancellationToken);
    }
}
