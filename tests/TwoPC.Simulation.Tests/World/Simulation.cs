using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TwoPC.Coordinator;
using TwoPC.Coordinator.Diagnostics;
using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Protocols;
using TwoPC.Coordinator.Protocols.Saga;
using TwoPC.Coordinator.Protocols.TwoPhase;
using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Simulation.Tests.World;

/// <summary>One planned transaction of a scenario and what the client learned about it.</summary>
internal sealed class TxPlan
{
    public string Label { get; init; } = "";
    public bool Saga { get; init; }
    public string Id { get; set; } = "";
    public List<(SimParticipant Participant, Vote Vote)> Votes { get; } = [];
    public List<(SimParticipant Participant, int Branch)> Branches { get; } = [];
    public bool ClientAborts { get; init; }
    public bool? ClientHeard { get; set; }
    public bool ClientDone { get; set; }

    /// <summary>Idempotency key of Begin (2PC with keys) and every transaction id Begin returned for it.</summary>
    public string? Key { get; init; }
    public List<string> Ids { get; } = [];

    /// <summary>Per id: the earlier ids of the key that were already forgotten when Begin returned it.</summary>
    public Dictionary<string, HashSet<string>> ForgottenBefore { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// One seeded run: the real engine (single-threaded on <see cref="SimLoop"/>) over a <see cref="SimTransactionLog"/>,
/// modelled participants, a faulty network, crashes and ambiguous log writes until <see cref="HealAt"/>, then
/// quiescence. The same seed gives the same run.
/// </summary>
internal sealed partial class Simulation
{
    public static readonly TimeSpan HealAt = TimeSpan.FromSeconds(6);
    public static readonly TimeSpan TerminationBound = TimeSpan.FromSeconds(120);
    private const int MaxSteps = 200_000;

    private readonly Queue<string> _recent = new();
    private readonly List<string>? _fullTrace;
    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Tx, string Step), int> _groups = [];
    private readonly List<TxPlan> _plans = [];
    private readonly DateTimeOffset _start;
    private long _ids;
    private InvariantViolation? _violation;
    private bool _healed;
    private bool _stopping;
    private readonly int _compensationLimit;

    public Simulation(int seed, bool fullTrace = false, SimConfig? config = null)
    {
        Seed = seed;
        Config = config ?? SimConfig.Default;
        Rng = new Random(seed);
        _compensationLimit = Config.ParkedSagas ? Rng.Next(1, 3) : 100;
        _fullTrace = fullTrace ? [] : null;
        Loop = new SimLoop();
        _start = Loop.Now;
        World = Loop.NewOwner();
        Log = new SimTransactionLog(Loop);
        Net = new SimNetwork(this) { Faulty = true };
        Checks = new Invariants(this);
        Participants = [.. Enumerable.Range(1, 5).Select(i => new SimParticipant($"p{i}", this))];
        Log.OnSave = r => Checks.OnCoordinatorSave(r);
        Log.Fault = PickLogFault;
        if (Config.LyingParticipantDisk)
        {
            foreach (var p in Participants)
            {
                p.Branches.FailFlush = () =>
                {
                    if (_healed || Rng.Next(100) >= 3) return false;
                    Trace($"{p.Name}: fsync fails, dirty pages dropped (still readable, not durable)");
                    return true;
                };
            }
        }

        Log.OnDroppedPages = ids =>
        {
            Trace($"fsync fails: dirty pages of {string.Join(",", ids.Select(Name))} dropped (still readable, not durable)");
            Checks.OnDroppedPages(ids);
        };
    }

    public SimConfig Config { get; }

    public int Seed { get; }
    public Random Rng { get; }
    public SimLoop Loop { get; }
    public int World { get; }
    public SimNetwork Net { get; }
    public Invariants Checks { get; }
    public List<SimParticipant> Participants { get; }
    public SimTransactionLog Log { get; }
    public TimeSpan CallTimeout { get; } = TimeSpan.FromSeconds(1);
    public IReadOnlyList<string> FullTrace => _fullTrace ?? [];
    public int Steps { get; private set; }
    public TimeSpan Elapsed => Loop.Now - _start;

    // The coordinator process (one incarnation at a time).
    public int CoordinatorOwner { get; private set; }
    /// <summary>The coordinator as clients and participants reach it: set once recovery has loaded the log (the host serves only then).</summary>
    public TransactionManager? Manager { get; private set; }

    // The coordinator process, from start until it crashes (it serves only once recovery is done).
    private TransactionManager? _process;
    private EngineServices? _engine;
    private readonly List<Action> _onCoordinatorCrash = [];

    public SimParticipant Participant(string address) => Participants.First(p => p.Address == address);

    public string Name(string tx) => _names.TryGetValue(tx, out var n) ? n : tx[..6];

    /// <summary>The coordinator log's current (possibly not yet flushed) record; a forgotten record's last version.</summary>
    public TransactionRecord? Stored(string tx) => tx.Length == 0 ? null : Log.Read(tx) ?? Checks.Forgotten(tx);

    public TxPlan? PlanOf(string tx) => _plans.FirstOrDefault(p => p.Id == tx);

    public int GroupOf(string tx, string step) => _groups.GetValueOrDefault((tx, step));

    public void Trace(string what)
    {
        Loop.CheckThread();
        var line = $"{Elapsed.TotalMilliseconds,8:0.0}ms {what}";
        _fullTrace?.Add(line);
        if (_recent.Count == 40) _recent.Dequeue();
        _recent.Enqueue(line);
    }

    public void Violation(string invariant, string message)
    {
        var v = new InvariantViolation(invariant, message);
        _violation ??= v;
        throw v;
    }

    /// <summary>Runs <paramref name="action"/> on the loop after <paramref name="delay"/> of virtual time (dropped if the owner dies).</summary>
    public void After(int owner, TimeSpan delay, Action action) =>
        new SimTime(Loop, owner).CreateTimer(_ => Loop.Post(owner, action), null, delay, Timeout.InfiniteTimeSpan);

    private Task Sleep(TimeSpan delay)
    {
        var done = new TaskCompletionSource();
        After(World, delay, () => done.TrySetResult());
        return done.Task;
    }

    /// <summary>Runs the scenario to quiescence; throws <see cref="SimulationFailure"/> naming the seed on any violation.</summary>
    public void Run()
    {
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null); // continuations must run inline on this thread
        Loop.Bind();
        try
        {
            StartCoordinator();
            PlanScenario();
            MainLoop();
            Checks.AtEnd(_plans);
        }
        catch (InvariantViolation v)
        {
            throw new SimulationFailure(Seed, Loop.Escaped ?? _violation ?? v, [.. _recent]);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        if ((Loop.Escaped ?? _violation) is { } late) throw new SimulationFailure(Seed, late, [.. _recent]);
    }

    private void MainLoop()
    {
        while (true)
        {
            Loop.RunReady();
            if (Loop.Escaped is { } escaped) throw escaped;
            if (_violation is not null) throw _violation;
            if (_healed && Quiescent()) return;
            if (++Steps > MaxSteps || Elapsed > HealAt + TerminationBound)
                Violation("Termination", $"not quiescent {TerminationBound.TotalSeconds}s (virtual) after healing / {MaxSteps} steps: {Pending()}");

            var next = Loop.NextDue;
            if (Net.DeliverableCount > 0 && (next is null || Rng.Next(8) > 0))
            {
                Net.DeliverOne();
            }
            else if (Net.NextNotBefore is { } nb && (next is null || nb < next) && nb > Loop.Now)
            {
                Loop.AdvanceTo(nb);
            }
            else if (!Loop.FireNextTimers())
            {
                if (Net.DeliverableCount == 0) Violation("Termination", "nothing left to run but not quiescent: " + Pending());
            }
        }
    }

    private bool Quiescent() =>
        Manager is not null && Net.InFlight == 0 && !Loop.HasReady && _plans.All(p => p.ClientDone)
        && _engine!.Table.Count == 0 && Participants.All(p => p.Up && !p.InDoubt().Any())
        && _plans.All(p => !p.Saga || Stored(p.Id) is not { } r || SagaDone(r.State));

    /// <summary>A saga is done when it reached an end state; with parked sagas retried, NEEDS_ATTENTION is not one.</summary>
    public bool SagaDone(TransactionState state) =>
        Config.ParkedSagas ? state is TransactionState.SagaCompleted or TransactionState.SagaCompensated : state.IsFinished();

    private string Pending() =>
        $"coordinator {(Manager is null ? "down" : "up")}, live transactions {_engine?.Table.Count}, messages in flight {Net.InFlight}, "
        + $"clients pending {_plans.Count(p => !p.ClientDone)}, in-doubt branches {string.Join(",", Participants.SelectMany(p => p.InDoubt().Select(b => $"{p.Name}:{Name(b.Tx)}/{b.Branch}")))}, "
        + $"unfinished records {string.Join(",", _plans.Where(p => Stored(p.Id) is { } r && (p.Saga ? !SagaDone(r.State) : !r.State.IsFinished())).Select(p => $"{p.Label}:{Stored(p.Id)!.State}"))}";

    /// <summary>Until healing, 4% of saves fail before or after writing; with a lying disk, 3% of fsyncs drop the dirty pages.</summary>
    private LogFault PickLogFault(TransactionRecord? r, WriteDurability durability)
    {
        if (_stopping) return LogFault.FailBeforeWrite; // a dying process writes nothing more
        if (_healed) return LogFault.None;
        var what = r is null ? "flush" : $"log write of {Name(r.Id)} ({r.State})";
        if (Config.LyingLog && (r is null || durability == WriteDurability.Forced) && Rng.Next(100) < 3)
            return LogFault.FsyncDropsDirtyPages;
        if (r is null) return LogFault.None;
        // Two draws, as the seeds' scenarios were recorded with: fail before writing, else fail after writing.
        var fault = Rng.Next(100) < 4 ? LogFault.FailBeforeWrite : Rng.Next(100) < 4 ? LogFault.FailAfterWrite : LogFault.None;
        if (fault != LogFault.None) Trace($"{what} fails {(fault == LogFault.FailBeforeWrite ? "before" : "after")} writing");
        return fault;
    }

    private void Heal()
    {
        _healed = true;
        Net.Faulty = false;
        Trace("HEAL: no more faults");
        if (_process is null) StartCoordinator();
        foreach (var p in Participants.Where(p => !p.Up)) RestartParticipant(p);
    }

    // ---- coordinator process ----

    private void StartCoordinator()
    {
        var owner = CoordinatorOwner = Loop.NewOwner();
        var options = new CoordinatorOptions
        {
            DefaultTimeout = TimeSpan.FromSeconds(3),
            RetryInitialDelay = TimeSpan.FromMilliseconds(50),
            RetryMaxDelay = TimeSpan.FromSeconds(1),
            ParticipantCallTimeout = CallTimeout,
            CompensationAttemptLimit = _compensationLimit,
            FinishedRetention = Config.Forgetting ? Retention : new CoordinatorOptions().FinishedRetention,
        };
        if (Config.ParkedSagas) options.ParkedSagaRetryInterval = ParkedRetryInterval;
        _engine = new EngineServices(Log, new TransactionTable(), new SimParticipantClient(this, owner), Options.Create(options),
            new SimTime(Loop, owner), new CoordinatorMetrics(), NullLogger<EngineServices>.Instance)
        {
            RunDriver = work => RunDriver(owner, work),
            Random = new Random(Rng.Next()),
            NewTransactionId = () => $"{++_ids:x16}{Rng.NextInt64():x16}",
        };
        var twoPhase = new TwoPhaseCommitProcessor(_engine);
        var saga = new SagaProcessor(_engine);
        var manager = _process = new TransactionManager(_engine, twoPhase, saga);
        manager.Register(saga);
        Trace($"coordinator starts (incarnation {owner})");
        // As RecoveryHostedService: the log is loaded before the server accepts calls.
        Loop.Post(owner, () => manager.RecoverAsync(CancellationToken.None).ContinueWith(t =>
        {
            if (!Loop.IsAlive(owner)) return;
            if (!t.IsCompletedSuccessfully) Violation("Termination", $"recovery failed: {t.Exception?.GetBaseException().Message ?? t.Status.ToString()}");
            Manager = manager;
        }, TaskContinuationOptions.ExecuteSynchronously));
    }

    /// <summary>Retention of finished transactions when forgetting is exercised.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromSeconds(1);

    /// <summary>How often the engine retries parked sagas when <see cref="SimConfig.ParkedSagas"/> is on.</summary>
    public static readonly TimeSpan ParkedRetryInterval = TimeSpan.FromSeconds(2);

    private Task RunDriver(int owner, Func<Task> work)
    {
        var done = new TaskCompletionSource();
        Loop.Post(owner, () => work().ContinueWith(_ => done.TrySetResult(), TaskContinuationOptions.ExecuteSynchronously));
        return done.Task;
    }

    private void CrashCoordinator()
    {
        if (_process is null || _healed) return;
        Trace("CRASH coordinator");
        Loop.Kill(CoordinatorOwner);
        Manager = null;
        _process = null;
        if (Config.StopOnCrash)
        {
            _stopping = true; // a dying process writes nothing more
            try
            {
                _engine!.Stop();
            }
            finally
            {
                _stopping = false;
            }
        }

        // A killed process runs nothing more: its queued work, timers and replies are dropped with its owner id, so
        // none of its awaits ever resumes. (The engine's graceful Stop() is not a crash: it cancels delays, whose
        // awaiters .NET then resumes on the thread pool, outside the simulation.)
        Log.Crash();
        foreach (var fail in _onCoordinatorCrash.ToList()) fail();
        _onCoordinatorCrash.Clear();
        After(World, TimeSpan.FromMilliseconds(Rng.Next(0, 1500)), () =>
        {
            if (_process is null) StartCoordinator();
        });
    }

    /// <summary>Awaits a client call; null when the coordinator crashed before it answered.</summary>
    private Task<Task?> Call(Task call)
    {
        var result = new TaskCompletionSource<Task?>();
        _onCoordinatorCrash.Add(() => result.TrySetResult(null));
        call.ContinueWith(t => result.TrySetResult(t), TaskContinuationOptions.ExecuteSynchronously);
        return result.Task;
    }

    // ---- participants ----

    private void CrashParticipant(SimParticipant p)
    {
        if (!p.Up || _healed) return;
        Trace($"CRASH {p.Name}");
        p.Crash();
        After(World, TimeSpan.FromMilliseconds(Rng.Next(100, 2500)), () => RestartParticipant(p));
    }

    private void RestartParticipant(SimParticipant p)
    {
        if (p.Up) return;
        p.Up = true;
        Trace($"{p.Name} restarts; in doubt: {p.InDoubt().Count()}");
        AskAboutInDoubt(p);
    }

    /// <summary>The SDK's in-doubt resolution: ask the coordinator about every prepared branch.</summary>
    private void AskAboutInDoubt(SimParticipant p)
    {
        foreach (var (tx, branch) in p.InDoubt())
        {
            Net.Ask(p, $"ResolveInDoubt {Name(tx)}/{branch} from {p.Name}", () =>
            {
                if (Manager is null) return;
                var answer = Manager.ResolveInDoubtAsync(tx, CancellationToken.None);
                answer.ContinueWith(t =>
                {
                    if (!t.IsCompletedSuccessfully || t.Result.Pending || !p.Up) return;
                    var decided = t.Result.Record.State;
                    if (!decided.IsDecided()) return;
                    Trace($"{p.Name} learns {Name(tx)} is {decided}{(t.Result.Presumed ? " (presumed)" : "")}");
                    if (t.Result.Presumed) Checks.OnPresumedAbort(tx, branch, p);
                    p.Resolve(tx, branch, decided.IsCommitDecided());
                }, TaskContinuationOptions.ExecuteSynchronously);
            });
        }
    }
}

/// <summary>A seed broke an invariant.</summary>
internal sealed class SimulationFailure(int seed, InvariantViolation violation, IReadOnlyList<string> recent)
    : Exception($"seed {seed}: {violation.Message}\nreproduce: TWOPC_SIM_SEED={seed} dotnet test tests/TwoPC.Simulation.Tests --filter ReplaySeed\nlast events:\n  {string.Join("\n  ", recent)}", violation)
{
    public int Seed { get; } = seed;
}
