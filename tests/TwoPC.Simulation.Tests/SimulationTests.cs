using Xunit.Abstractions;
using TwoPC.Simulation.Tests.World;

namespace TwoPC.Simulation.Tests;

/// <summary>
/// Seeded simulation of the coordinator engine under faults (see docs/simulation.md). CI runs
/// <see cref="DefaultSeeds"/> seeds; <c>TWOPC_SIM_SEEDS=1000000</c> runs more, <c>TWOPC_SIM_START</c> moves the window.
/// </summary>
public sealed class SimulationTests(ITestOutputHelper output)
{
    private const int DefaultSeeds = 10_000;

    [Fact]
    public void ManySeeds_HoldEveryInvariant() => RunMany(FeaturesFromEnvironment(), DefaultSeeds);

    // One run per part of the engine the base scenario leaves out (docs/simulation.md, "Configurations"). The first
    // four fail on an engine without the fix their name states; the seeds that showed it are in the theories below.

    /// <summary>Optional steps, including one that acts and never answers: compensated, or reported as unknown.</summary>
    [Fact]
    public void ManySeeds_OptionalSteps_UnknownOutcomeIsCompensatedOrReported() => RunMany(new SimConfig { OptionalSteps = true }, FeatureSeeds);

    /// <summary>2PC Begin with an idempotency key, retried from scratch across coordinator crashes: one transfer per key.</summary>
    [Fact]
    public void ManySeeds_BeginIdempotencyKey_MapsToOneTransactionAcrossCrashes() => RunMany(new SimConfig { IdempotencyKeys = true }, FeatureSeeds);

    /// <summary>Compensation limit 1–2: parked sagas are never forgotten and the engine retries them to the end.</summary>
    [Fact]
    public void ManySeeds_ParkedSagas_AreRetriedAndNeverForgotten() => RunMany(new SimConfig { ParkedSagas = true, Forgetting = true }, FeatureSeeds);

    /// <summary>A coordinator disk whose failed fsync drops the dirty pages: nothing is acted on before it is durable.</summary>
    [Fact]
    public void ManySeeds_LyingLog_NoDecisionActedOnBeforeItIsDurable() => RunMany(new SimConfig { LyingLog = true }, FeatureSeeds);

    /// <summary>Participants' disks lie too; the model rewrites a record before answering from it (the SDK's rule).</summary>
    [Fact]
    public void ManySeeds_LyingParticipantDisk_NoVoteOrAckBeforeItIsDurable() => RunMany(new SimConfig { LyingParticipantDisk = true }, FeatureSeeds);

    /// <summary>
    /// Sanity check of the invariant: a participant that answers a duplicate after a mere flush (flush + re-read,
    /// what a failed fsync defeats) is caught by [WriteAhead] on a lying disk.
    /// </summary>
    [Fact]
    public void LyingParticipantDisk_FlushThenAnswer_IsCaughtByWriteAhead()
    {
        var config = new SimConfig { LyingParticipantDisk = true, ParticipantFlushThenAnswer = true };
        var caught = Enumerable.Range(1, 2_000).Select(seed =>
        {
            try
            {
                new World.Simulation(seed, config: config).Run();
                return null;
            }
            catch (SimulationFailure f)
            {
                return f;
            }
        }).FirstOrDefault(f => f is not null);
        Assert.NotNull(caught);
        output.WriteLine(caught!.Message);
        Assert.Contains("[WriteAhead]", caught.Message, StringComparison.Ordinal);
    }

    private const int FeatureSeeds = 1_000;

    // TWOPC_SIM_MAX_FAILURES: how many failing seeds a run collects before it stops (default 5).
    private static readonly int MaxFailures = int.TryParse(Environment.GetEnvironmentVariable("TWOPC_SIM_MAX_FAILURES"), out var m) && m > 0 ? m : 5;

    private void RunMany(SimConfig config, int defaultCount)
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("TWOPC_SIM_SEEDS"), out var n) ? n : defaultCount;
        var start = int.TryParse(Environment.GetEnvironmentVariable("TWOPC_SIM_START"), out var s) ? s : 1;
        var failures = new System.Collections.Concurrent.ConcurrentBag<SimulationFailure>();
        long steps = 0;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Parallel.For(start, start + count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, (seed, state) =>
        {
            var sim = new World.Simulation(seed, config: config);
            try
            {
                sim.Run();
                Interlocked.Add(ref steps, sim.Steps);
            }
            catch (SimulationFailure f)
            {
                failures.Add(f);
                if (failures.Count >= MaxFailures) state.Stop();
            }
        });
        output.WriteLine($"{config}: {count} seeds from {start}: {steps} steps in {watch.Elapsed.TotalSeconds:0.0}s, {failures.Count} failing");
        Assert.True(failures.IsEmpty, $"{config}\nfailing seeds: {string.Join(", ", failures.Select(f => f.Seed).Order())}\n\n" + string.Join("\n\n", failures.OrderBy(f => f.Seed).Select(f => f.Message)));
    }

    /// <summary>Seeds that once found a bug, kept as regression tests (plus a few ordinary ones).</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(42)]
    [InlineData(7)] // all branches READ_ONLY: committed without a forced record (legitimate)
    [InlineData(19)] // one-phase commit, reply lost, coordinator crash: Commit then answers NotFound, not aborted
    [InlineData(159)] // READ_ONLY vote written lazily and lost in a participant crash
    [InlineData(24)] // final lazy save failed: log record stays Aborting until the next restart
    [InlineData(115351)] // a million-seed run failed here when a crash ran engine code on the thread pool (see below)
    public void Seed_HoldsEveryInvariant(int seed)
    {
        new World.Simulation(seed, config: new SimConfig()).Run(); // the base scenario the seed was found in
        new World.Simulation(seed).Run();
    }

    /// <summary>
    /// The cause of the seed-115351 failure, reproduced: when a coordinator crash runs the engine's graceful Stop(),
    /// the backoff delays it cancels (<c>Task.Delay(…, TimeProvider, token)</c>) resume their awaiters on the thread
    /// pool. At 2,334 ms of seed 115351 the delay of T2's Prepare retry is cancelled that way and the engine then runs
    /// on a pool thread, racing the simulation (it completes T2's client call). The crash model no longer calls Stop().
    /// </summary>
    [Fact]
    public void Seed115351_CrashThatRunsStop_ResumesEngineCodeOnTheThreadPool()
    {
        var sim = new World.Simulation(115351, config: SimConfig.Default with { Forgetting = false, StopOnCrash = true });
        try
        {
            sim.Run();
        }
        catch (SimulationFailure f) when (f.InnerException is InvariantViolation { Invariant: "Determinism" })
        {
            return;
        }

        // The escaped continuation may run after the simulation ended; it still touches the world (a timer's Dispose).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (sim.Loop.Escaped is null && DateTime.UtcNow < deadline) Thread.Sleep(10);
        Assert.NotNull(sim.Loop.Escaped);
        output.WriteLine(sim.Loop.Escaped!.Message);
    }

    /// <summary>Seed 115351 under the real crash model, several times in one process: no work leaves the simulation thread.</summary>
    [Fact]
    public void Seed115351_RealCrashModel_StaysOnTheSimulationThread()
    {
        for (var i = 0; i < 20; i++)
        {
            var sim = new World.Simulation(115351);
            sim.Run();
            Thread.Sleep(5); // give a stray pool continuation the time to show itself
            Assert.Null(sim.Loop.Escaped);
        }
    }

    /// <summary>Seeds of <see cref="ManySeeds_OptionalSteps_UnknownOutcomeIsCompensatedOrReported"/> that failed before the fix.</summary>
    [Theory]
    [InlineData(2)] // optional step without compensation acted and never answered: saga COMPLETED, nothing reported
    [InlineData(4)] // optional step with a compensation acted and never answered: saga COMPLETED, not compensated
    public void OptionalStepSeed_HoldsEveryInvariant(int seed) => new World.Simulation(seed, config: new SimConfig { OptionalSteps = true }).Run();

    /// <summary>Seeds of <see cref="ManySeeds_BeginIdempotencyKey_MapsToOneTransactionAcrossCrashes"/> that failed before the fix.</summary>
    [Theory]
    [InlineData(11)] // T2 committed, the answer was lost, the coordinator crashed: Begin(key) made a second transaction
    [InlineData(170)]
    public void IdempotencyKeySeed_HoldsEveryInvariant(int seed) => new World.Simulation(seed, config: new SimConfig { IdempotencyKeys = true }).Run();

    /// <summary>Seeds of <see cref="ManySeeds_ParkedSagas_AreRetriedAndNeverForgotten"/> that failed before the fix.</summary>
    [Theory]
    [InlineData(1)] // compensation limit 1: S1 parks, and ForgetAsync deletes it after the retention
    [InlineData(41)]
    public void ParkedSagaSeed_HoldsEveryInvariant(int seed) => new World.Simulation(seed, config: new SimConfig { ParkedSagas = true, Forgetting = true }).Run();

    /// <summary>Seeds of <see cref="ManySeeds_LyingLog_NoDecisionActedOnBeforeItIsDurable"/> that failed before the fix.</summary>
    [Theory]
    [InlineData(26)] // the commit decision's fsync fails and drops it; flush + re-read finds it in the cache; Commit sent
    [InlineData(109)]
    [InlineData(968)] // a new saga's fsync fails, then its flush: in doubt, never driven until a restart (none comes)
    public void LyingLogSeed_HoldsEveryInvariant(int seed) => new World.Simulation(seed, config: new SimConfig { LyingLog = true }).Run();

    [Fact]
    public void SameSeed_GivesTheSameRun()
    {
        var all = new SimConfig { Forgetting = true, OptionalSteps = true, IdempotencyKeys = true, ParkedSagas = true, LyingLog = true, LyingParticipantDisk = true };
        for (var seed = 1; seed <= 20; seed++)
        {
            foreach (var config in new[] { SimConfig.Default, all })
            {
                var first = Replay(seed, config);
                var second = new World.Simulation(seed, fullTrace: true, config);
                var t = new Thread(() =>
                {
                    try
                    {
                        second.Run();
                    }
                    catch (SimulationFailure)
                    {
                    }
                });
                t.Start();
                t.Join();
                Assert.Equal(first.FullTrace, second.FullTrace);
            }
        }
    }

    private static World.Simulation Replay(int seed, SimConfig config)
    {
        var sim = new World.Simulation(seed, fullTrace: true, config);
        try
        {
            sim.Run();
        }
        catch (SimulationFailure)
        {
            // Features with a known engine gap may fail; the trace must still be the same.
        }

        return sim;
    }

    /// <summary>Replays TWOPC_SIM_SEED with the full trace printed (no-op when unset).</summary>
    [Fact]
    public void ReplaySeed()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("TWOPC_SIM_SEED"), out var seed)) return;
        var sim = new World.Simulation(seed, fullTrace: true, FeaturesFromEnvironment());
        try
        {
            sim.Run();
        }
        finally
        {
            foreach (var line in sim.FullTrace) output.WriteLine(line);
        }
    }

    /// <summary>TWOPC_SIM_FEATURES=OptionalSteps,IdempotencyKeys,Forgetting,ParkedSagas,LyingLog,StopOnCrash (default: CI's).</summary>
    private static SimConfig FeaturesFromEnvironment()
    {
        if (Environment.GetEnvironmentVariable("TWOPC_SIM_FEATURES") is not { Length: > 0 } list) return SimConfig.Default;
        var on = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return new SimConfig
        {
            OptionalSteps = on.Contains(nameof(SimConfig.OptionalSteps)),
            IdempotencyKeys = on.Contains(nameof(SimConfig.IdempotencyKeys)),
            Forgetting = on.Contains(nameof(SimConfig.Forgetting)),
            ParkedSagas = on.Contains(nameof(SimConfig.ParkedSagas)),
            LyingLog = on.Contains(nameof(SimConfig.LyingLog)),
            StopOnCrash = on.Contains(nameof(SimConfig.StopOnCrash)),
            LyingParticipantDisk = on.Contains(nameof(SimConfig.LyingParticipantDisk)),
            ParticipantFlushThenAnswer = on.Contains(nameof(SimConfig.ParticipantFlushThenAnswer)),
        };
    }
}
