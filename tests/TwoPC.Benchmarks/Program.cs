using TwoPC.Benchmarks;

// dotnet run -c Release --project tests/TwoPC.Benchmarks -- --mode 2pc|saga|floor|all --concurrency 1,16,64,256
//   --duration 10 [--participants 2] [--json results.json] [--enlist-separately]
if (args is ["litedb-cost"]) return LiteDbCost.Run();

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

Console.WriteLine($"# TwoPC benchmark: modes={string.Join(',', options.Modes)} concurrency={string.Join(',', options.Concurrency)} " +
    $"duration={options.Duration.TotalSeconds}s participants={options.Participants} cores={Environment.ProcessorCount}");
// --storage postgres: the server named by TWOPC_POSTGRES, or a throwaway one from .ci/postgres.sh (stopped at the end).
await using var postgres = options.Storage == "postgres" ? await TwoPC.Demo.Cluster.ThrowawayPostgreSql.StartAsync(Path.Combine(Path.GetTempPath(), "twopc-bench-pg-" + Guid.NewGuid().ToString("N")[..8]), cancel.Token) : null;
if (postgres is not null) Console.WriteLine($"# storage=postgres ({postgres.Description})");
await using var cluster = await Cluster.StartAsync(options.Participants, cancel.Token, postgres?.ConnectionString);
Console.WriteLine($"# processes: {string.Join(", ", cluster.Processes.Select(p => $"{p.Name} pid={p.Pid} {p.Address}"))}; data in {cluster.DataDirectory}");

var runner = new LoadRunner(cluster);
var results = new List<LevelResult>();
var floor = new Dictionary<int, double>();
try
{
    foreach (var mode in options.Modes)
    {
        var run = mode + "-" + Guid.NewGuid().ToString("N")[..6];
        IWorkload workload = mode switch
        {
            "2pc" => new TwoPhaseWorkload(cluster, run, options.WaitForCompletion, options.EnlistSeparately),
            "saga" => new SagaWorkload(cluster, run),
            _ => new FloorWorkload(cluster),
        };
        try
        {
            if (options.Warmup > TimeSpan.Zero)
            {
                // Tiered JIT (tier 0 -> instrumented -> tier 1 takes seconds on a busy 2-core box), connection pools and LiteDB
                // pages warm up at concurrency 64; not reported.
                var warm = await runner.RunAsync(workload, 64, TimeSpan.Zero, options.Warmup, cancel.Token);
                (workload as TwoPhaseWorkload)?.TakeBreakdown();
                Console.WriteLine($"# warm-up {mode}: {warm.Tps:F0} tx/s");
            }

            foreach (var concurrency in options.Concurrency)
            {
                var ramp = TimeSpan.FromSeconds(Math.Min(1, options.Duration.TotalSeconds / 5));
                var result = await runner.RunAsync(workload, concurrency, ramp, options.Duration, cancel.Token);
                if (mode != "floor" && floor.TryGetValue(concurrency, out var floorTps) && floorTps > 0) result = result with { VsFloor = result.Tps / floorTps };
                if (mode == "floor") floor[concurrency] = result.Tps;
                results.Add(result);
                Console.WriteLine(Report.ResultLine(result));
                if (result.VsFloor is not null) Console.WriteLine(Report.RatioLine(result));
                Console.Error.WriteLine(Report.DetailLine(result));
                if (workload is TwoPhaseWorkload tp)
                {
                    var (b, e, c) = tp.TakeBreakdown();
                    Console.Error.WriteLine(FormattableString.Invariant($"# 2pc c={concurrency}: mean client ms begin={b:F2} enlist(parallel)={e:F2} commit={c:F2}"));
                }
            }
        }
        finally
        {
            (workload as IDisposable)?.Dispose();
        }

        foreach (var p in cluster.Processes.Where(p => p.HasExited)) throw new InvalidOperationException($"{p.Name} exited:\n{p.Tail}");
    }
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("# cancelled");
}

if (options.JsonPath is { } json)
{
    await Report.WriteJsonAsync(json, options, results, CancellationToken.None);
    Console.WriteLine($"# wrote {Path.GetFullPath(json)}");
}

var docs = options.DocsDirectory ?? Path.Combine(RepositoryRoot.Find(), "docs");
if (docs.Length > 0 && results.Count > 0)
{
    SvgCharts.Write(docs, results, $"{options.Participants} participants, {options.Duration.TotalSeconds:G}s per point, {Environment.ProcessorCount} cores, loopback, fdatasync");
    Console.WriteLine($"# charts in {docs}");
}

return 0;
