namespace TwoPC.Simulation.Tests.World;

/// <summary>
/// The simulation's only "thread": a FIFO run queue plus a virtual clock with an ordered timer queue. Work and
/// timers belong to an owner (a process incarnation); killing an owner silently drops its work and timers, like a
/// process that died. Everything runs on the thread that calls <see cref="RunReady"/> / <see cref="FireNextTimers"/>.
/// </summary>
internal sealed class SimLoop
{
    private readonly Queue<(int Owner, Action Work)> _ready = new();
    private readonly PriorityQueue<SimTimer, (long Due, long Seq)> _timers = new();
    private readonly HashSet<int> _dead = [];
    private int _thread = Environment.CurrentManagedThreadId;
    private long _seq;
    private int _owners;

    /// <summary>Virtual now.</summary>
    public DateTimeOffset Now { get; private set; } = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Makes the calling thread the simulation thread.</summary>
    public void Bind() => _thread = Environment.CurrentManagedThreadId;

    /// <summary>A new owner id (a process incarnation).</summary>
    public int NewOwner() => ++_owners;

    /// <summary>Drops every piece of work and timer of <paramref name="owner"/>, now and later.</summary>
    public void Kill(int owner) => _dead.Add(owner);

    public bool IsAlive(int owner) => !_dead.Contains(owner);

    public void Post(int owner, Action work)
    {
        CheckThread();
        _ready.Enqueue((owner, work));
    }

    /// <summary>Runs queued work until the queue is empty; returns how many items ran.</summary>
    public int RunReady()
    {
        var ran = 0;
        while (_ready.TryDequeue(out var item))
        {
            if (_dead.Contains(item.Owner)) continue;
            item.Work();
            ran++;
        }

        return ran;
    }

    public bool HasReady => _ready.Count > 0;

    /// <summary>When the next live timer fires; null when none.</summary>
    public DateTimeOffset? NextDue
    {
        get
        {
            while (_timers.TryPeek(out var t, out var key))
            {
                if (t.Due == key.Due && t.Seq == key.Seq && IsAlive(t.Owner)) return new DateTimeOffset(key.Due, TimeSpan.Zero);
                _timers.Dequeue(); // stale (changed, disposed) or dead
            }

            return null;
        }
    }

    /// <summary>Moves the clock to the next due time and fires every timer due then, in creation order.</summary>
    public bool FireNextTimers()
    {
        if (NextDue is not { } due) return false;
        Now = due;
        while (NextDue is { } next && next <= Now)
        {
            var t = _timers.Dequeue();
            t.Fire();
        }

        return true;
    }

    /// <summary>Moves the clock forward without firing (never backward; never past a pending timer).</summary>
    public void AdvanceTo(DateTimeOffset when)
    {
        if (NextDue is { } due && due < when) when = due;
        if (when > Now) Now = when;
    }

    internal void Schedule(SimTimer timer, TimeSpan dueIn)
    {
        CheckThread();
        timer.Seq = ++_seq;
        timer.Due = (Now + (dueIn < TimeSpan.Zero ? TimeSpan.Zero : dueIn)).UtcTicks;
        _timers.Enqueue(timer, (timer.Due, timer.Seq));
    }

    /// <summary>
    /// Every callback into the world (clock, timers, network, log, trace) must come from the simulation thread. One
    /// from another thread is recorded in <see cref="Escaped"/> as well as thrown, because the thread pool would
    /// swallow the exception of a discarded task; the main loop and the end of the run check <see cref="Escaped"/>.
    /// </summary>
    public void CheckThread()
    {
        if (Environment.CurrentManagedThreadId == _thread) return;
        var v = new InvariantViolation("Determinism",
            $"work escaped the simulation thread (thread {Environment.CurrentManagedThreadId}, a thread-pool continuation); the run is not reproducible\n{Environment.StackTrace}");
        Interlocked.CompareExchange(ref _escaped, v, null);
        throw v;
    }

    private InvariantViolation? _escaped;

    /// <summary>The first callback that came from another thread, if any.</summary>
    public InvariantViolation? Escaped => Volatile.Read(ref _escaped);
}

/// <summary>A <see cref="TimeProvider"/> over <see cref="SimLoop"/> for one owner.</summary>
internal sealed class SimTime(SimLoop loop, int owner) : TimeProvider
{
    public override DateTimeOffset GetUtcNow()
    {
        loop.CheckThread();
        return loop.Now;
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        loop.CheckThread();
        var timer = new SimTimer(loop, owner, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }
}

internal sealed class SimTimer(SimLoop loop, int owner, TimerCallback callback, object? state) : ITimer
{
    private TimeSpan _period = Timeout.InfiniteTimeSpan;
    private bool _disposed;

    public int Owner => owner;
    public long Due { get; set; }
    public long Seq { get; set; }

    public bool Change(TimeSpan dueTime, TimeSpan period)
    {
        if (_disposed) return false;
        Seq = -1; // invalidates the queued entry
        _period = period;
        if (dueTime != Timeout.InfiniteTimeSpan) loop.Schedule(this, dueTime);
        return true;
    }

    public void Fire()
    {
        if (_disposed) return;
        if (_period != Timeout.InfiniteTimeSpan && _period > TimeSpan.Zero) loop.Schedule(this, _period);
        callback(state);
    }

    public void Dispose()
    {
        loop.CheckThread();
        _disposed = true;
        Seq = -1;
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
