using System.Diagnostics;
using Grpc.Core;

namespace TwoPC.Benchmarks;

/// <summary>The figures of one (mode, concurrency) level.</summary>
internal sealed record LevelResult(
    string Mode,
    int Concurrency,
    int Participants,
    double Tps,
    double P50Ms,
    double P99Ms,
    double FsyncsPerTx,
    double RssMb,
    long Committed,
    long Aborted,
    long Errors,
    double Seconds,
    double[] RssMbPerProcess,
    double[] CpuMsPerTx)
{
    /// <summary>tps / floor tps at the same concurrency; set for 2pc and saga when the floor ran.</summary>
    public double? VsFloor { get; init; }
}

/// <summary>
/// Runs <c>concurrency</c> closed-loop workers for a ramp and then the measured window. A transaction counts when
/// it ends inside the window; fsync counters are read from every process at both ends of the window.
/// </summary>
internal sealed class LoadRunner(Cluster cluster)
{
    public async Task<LevelResult> RunAsync(IWorkload workload, int concurrency, TimeSpan ramp, TimeSpan duration, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var clock = Stopwatch.StartNew();
        var window = new Window();
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(() => WorkerAsync(workload, w, clock, window, stop.Token))).ToArray();

        await Task.Delay(ramp, cancellationToken);
        var before = await cluster.StatsAsync(cancellationToken);
        var localBefore = workload.LocalFsyncs;
        var cpuBefore = CpuTimes();
        window.Start = clock.Elapsed.Ticks;
        var rss = new double[cluster.Processes.Count];
        var sampler = SampleRssAsync(rss, stop.Token);
        await Task.Delay(duration, cancellationToken);
        window.End = clock.Elapsed.Ticks;
        var after = await cluster.StatsAsync(cancellationToken);
        var localAfter = workload.LocalFsyncs;
        var cpuAfter = CpuTimes();
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        await sampler;

        for (var i = 0; i < after.Count; i++) rss[i] = Math.Max(rss[i], after[i].RssBytes / 1048576.0);
        var latencies = workers.SelectMany(w => w.Result.Latencies).Order().ToArray();
        var committed = workers.Sum(w => w.Result.Committed);
        var seconds = TimeSpan.FromTicks(window.End - window.Start).TotalSeconds;
        var fsyncs = after.Select((s, i) => s.Fsyncs - before[i].Fsyncs).Sum() + (localAfter - localBefore);
        return new LevelResult(
            workload.Mode,
            concurrency,
            cluster.Participants.Count,
            committed / seconds,
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.99),
            committed == 0 ? 0 : (double)fsyncs / committed,
            rss.Max(),
            committed,
            workers.Sum(w => w.Result.Aborted),
            workers.Sum(w => w.Result.Errors),
            seconds,
            rss,
            cpuAfter.Select((c, i) => committed == 0 ? 0 : (c - cpuBefore[i]).TotalMilliseconds / committed).ToArray());
    }

    private static async Task<WorkerResult> WorkerAsync(IWorkload workload, int worker, Stopwatch clock, Window window, CancellationToken stop)
    {
        var result = new WorkerResult();
        for (long seq = 0; !stop.IsCancellationRequested; seq++)
        {
            var started = clock.Elapsed.Ticks;
            bool committed;
            try
            {
                committed = await workload.RunOnceAsync(worker, seq, CancellationToken.None);
            }
            catch (RpcException ex)
            {
                if (result.Errors++ < 3) await Console.Error.WriteLineAsync($"# {workload.Mode} worker {worker}: {ex.StatusCode} {ex.Status.Detail}");
                await Task.Delay(10, CancellationToken.None);
                continue;
            }

            var ended = clock.Elapsed.Ticks;
            // Volatile reads: the window is set by another thread while workers run.
            var start = Volatile.Read(ref window.Start);
            var end = Volatile.Read(ref window.End);
            if (start == 0 || ended < start || end != 0 && ended > end) continue;
            if (committed)
            {
                result.Committed++;
                result.Latencies.Add(TimeSpan.FromTicks(ended - started).TotalMilliseconds);
            }
            else
            {
                result.Aborted++;
            }
        }

        return result;
    }

    /// <summary>CPU used so far by every service process, then by this (client) process last.</summary>
    private TimeSpan[] CpuTimes() =>
        [.. cluster.Processes.Select(p => p.CpuTime()), Process.GetCurrentProcess().TotalProcessorTime];

    private async Task SampleRssAsync(double[] rss, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            for (var i = 0; i < rss.Length; i++) rss[i] = Math.Max(rss[i], cluster.Processes[i].RssBytes() / 1048576.0);
            try
            {
                await Task.Delay(250, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private sealed class Window
    {
        public long Start;
        public long End;
    }

    private sealed class WorkerResult
    {
        public List<double> Latencies { get; } = new();

        public long Committed { get; set; }

        public long Aborted { get; set; }

        public long Errors { get; set; }
    }
}
