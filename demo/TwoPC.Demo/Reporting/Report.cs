using System.Globalization;
using TwoPC.Demo.Load;

namespace TwoPC.Demo.Reporting;

/// <summary>The side-by-side table and the machine-readable RESULT lines.</summary>
internal static class Report
{
    public static void Write(TextWriter output, IReadOnlyList<(DemoMode Mode, RunStats Stats)> runs, long expectedTotal)
    {
        string Cell(Func<RunStats, string> f) => string.Concat(runs.Select(r => f(r.Stats).PadLeft(16)));
        output.WriteLine();
        output.WriteLine($"{"",-30}{string.Concat(runs.Select(r => ModeRun.Name(r.Mode).PadLeft(16)))}");
        output.WriteLine($"{"transfers",-30}{Cell(s => I(s.Transfers))}");
        output.WriteLine($"{"committed / completed",-30}{Cell(s => I(s.Committed))}");
        output.WriteLine($"{"aborted / compensated",-30}{Cell(s => I(s.Aborted))}");
        output.WriteLine($"{"without final outcome",-30}{Cell(s => I(s.Unresolved))}");
        output.WriteLine($"{"hit a crash (resolved later)",-30}{Cell(s => I(s.InDoubt))}");
        output.WriteLine($"{"audits",-30}{Cell(s => I(s.Audits))}");
        output.WriteLine($"{"audits with a wrong total",-30}{Cell(s => I(s.AuditViolations))}");
        output.WriteLine($"{"audits not completed",-30}{Cell(s => I(s.AuditsFailed))}");
        output.WriteLine($"{"final total (expect " + I(expectedTotal) + ")",-30}{Cell(s => s.FinalTotal is { } t ? I(t) : "unreadable")}");
        output.WriteLine($"{"throughput (transfers/s)",-30}{Cell(s => F(s.Tps))}");
        output.WriteLine($"{"latency p50 (ms)",-30}{Cell(s => F(s.Percentile(50)))}");
        output.WriteLine($"{"latency p99 (ms)",-30}{Cell(s => F(s.Percentile(99)))}");
        output.WriteLine($"{"wall time (s)",-30}{Cell(s => F(s.Elapsed.TotalSeconds))}");
        output.WriteLine();
        foreach (var (mode, s) in runs)
        {
            output.WriteLine(FormattableString.Invariant(
                $"RESULT mode={ModeRun.Name(mode)} transfers={s.Transfers} committed={s.Committed} aborted={s.Aborted} audits={s.Audits} audit_violations={s.AuditViolations} final_total_ok={(s.FinalTotal == expectedTotal ? "true" : "false")} tps={s.Tps:F1} p50_ms={s.Percentile(50):F1} p99_ms={s.Percentile(99):F1}"));
        }
    }

    private static string I(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string F(double d) => d.ToString("F1", CultureInfo.InvariantCulture);
}
