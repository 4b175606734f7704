namespace TwoPC.Simulation.Tests.World;

/// <summary>
/// Which parts of the engine a run exercises beyond the base scenario (see docs/simulation.md). Each switch adds
/// its scenario elements and the invariants that go with them; the seed still fixes everything else.
/// </summary>
internal sealed record SimConfig
{
    /// <summary>The base scenario plus retention and forgetting (what CI runs on 10,000 seeds).</summary>
    public static SimConfig Default { get; } = new() { Forgetting = true };

    /// <summary>Optional saga steps, with and without a compensation, some failing, some never answering.</summary>
    public bool OptionalSteps { get; init; }

    /// <summary>2PC clients Begin with an idempotency key and, when an answer is lost, start over with the same key.</summary>
    public bool IdempotencyKeys { get; init; }

    /// <summary>A short FinishedRetention and the engine's ForgetAsync called during the run.</summary>
    public bool Forgetting { get; init; }

    /// <summary>
    /// CompensationAttemptLimit of 1–2 so sagas park as NEEDS_ATTENTION, and a parked saga must still end
    /// compensated (the engine's periodic retry of parked sagas, <c>ParkedSagaRetryInterval</c>).
    /// </summary>
    public bool ParkedSagas { get; init; }

    /// <summary>The coordinator's disk lies: an fsync may fail and drop the dirty pages (<see cref="LogFault.FsyncDropsDirtyPages"/>).</summary>
    public bool LyingLog { get; init; }

    /// <summary>The participants' disks lie the same way (2PC branch records; see <see cref="SimDisk{TKey,TValue}"/>).</summary>
    public bool LyingParticipantDisk { get; init; }

    /// <summary>
    /// Mutation for the sanity check: a participant answers a duplicate from a record after a mere flush instead of
    /// rewriting it. On a lying disk that answers PREPARED without a durable record, which [WriteAhead] must catch.
    /// </summary>
    public bool ParticipantFlushThenAnswer { get; init; }

    /// <summary>
    /// A coordinator crash also runs the engine's graceful <c>Stop()</c> (the crash model before seed 115351 was
    /// explained). Cancelling a <c>Task.Delay(…, TimeProvider, token)</c> resumes its awaiter on the thread pool, so
    /// this model runs engine code off the simulation thread; kept only to reproduce that.
    /// </summary>
    public bool StopOnCrash { get; init; }
}
