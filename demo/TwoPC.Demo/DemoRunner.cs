using TwoPC.Demo.Cluster;
using TwoPC.Demo.Load;
using TwoPC.Demo.Reporting;

namespace TwoPC.Demo;

/// <summary>The demo's entry point, callable in-process by tests.</summary>
public static class DemoRunner
{
    /// <summary>
    /// Runs the demo: for each mode a fresh coordinator and two banks (child processes, data in a temp folder),
    /// the transfers with the auditor and the faults, then the report. Returns 0 only when every transfer has a final
    /// outcome, every final total is exact and no 2PC audit saw a wrong total.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        if (args is ["soak", ..]) return await SoakAsync(args[1..], output, cancellationToken).ConfigureAwait(false);
        DemoOptions options;
        try
        {
            options = DemoOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            output.WriteLine(ex.Message);
            return 2;
        }

        var binaries = Binaries.Locate();
        var dataRoot = Path.Combine(Path.GetTempPath(), "twopc-demo-" + Guid.NewGuid().ToString("N")[..8]);
        output.WriteLine($"TwoPC bank-transfer demo: {options.Transfers} transfers per mode, concurrency {options.Concurrency}, " +
                         $"2 banks x {options.Accounts} accounts x {options.InitialBalance}, faults {(options.Faults ? "on" : "off")}; data in {dataRoot}");
        var runs = new List<(DemoMode, RunStats)>();
        ThrowawayPostgreSql? postgres = null;
        try
        {
            string? connection = null;
            if (options.Instances > 1)
            {
                postgres = await ThrowawayPostgreSql.StartAsync(Path.Combine(dataRoot, "postgres"), cancellationToken).ConfigureAwait(false);
                connection = postgres.ConnectionString;
                output.WriteLine($"cluster: {options.Instances} coordinator instances over PostgreSQL ({postgres.Description}); one is killed for good mid-run");
            }

            var coordinators = options.Instances > 1 ? $"{options.Instances} coordinator instances" : "coordinator";
            foreach (var mode in options.Modes)
            {
                output.WriteLine($"-- {ModeRun.Name(mode)}: starting {coordinators}, bank-a, bank-b");
                var stats = await new ModeRun(options, mode, binaries, Path.Combine(dataRoot, ModeRun.Name(mode)), output, connection).RunAsync(cancellationToken).ConfigureAwait(false);
                runs.Add((mode, stats));
            }
        }
        finally
        {
            if (postgres is not null) await postgres.DisposeAsync().ConfigureAwait(false);
            if (!options.KeepData) TryDelete(dataRoot);
        }

        var expected = 2L * options.Accounts * options.InitialBalance;
        Report.Write(output, runs, expected);
        var ok = runs.All(r => r.Item2.AllDecided && r.Item2.FinalTotal == expected && (r.Item1 != DemoMode.TwoPhase || r.Item2.AuditViolations == 0));
        output.WriteLine(ok ? "OK: every transfer decided, totals exact." : "FAILED: see the table above.");
        return ok ? 0 : 1;
    }

    /// <summary>
    /// The bank nemesis soak (<c>soak --duration S --concurrency 16,64</c>): 2PC transfers on a hot spot while the
    /// coordinator and the banks are killed and restarted; prints one SOAK line. Returns 0 only without any violation.
    /// </summary>
    private static async Task<int> SoakAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        Soak.SoakOptions options;
        try
        {
            options = Soak.SoakOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            output.WriteLine(ex.Message);
            return 2;
        }

        var dataRoot = Path.Combine(Path.GetTempPath(), "twopc-soak-" + Guid.NewGuid().ToString("N")[..8]);
        output.WriteLine($"TwoPC bank nemesis soak: {options.Duration.TotalSeconds:F0}s, concurrency {string.Join(",", options.Concurrency)}, " +
                         $"{options.Accounts} accounts ({options.HotPercent}% of transfers on 2 hot accounts), timeout {options.TransactionTimeout.TotalSeconds:F0}s, " +
                         $"coordinator killed every {options.KillMin.TotalSeconds:F0}-{options.KillMax.TotalSeconds:F0}s; data in {dataRoot}");
        try
        {
            return await new Soak.SoakRun(options, Binaries.Locate(), dataRoot, output).RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!options.KeepData) TryDelete(dataRoot);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // Left behind in the temp folder.
        }
    }
}
