using TwoPC.Durability;

namespace TwoPC.Participant.Tests.Infrastructure;

/// <summary>An <see cref="IFileFlusher"/> that counts flushes, and can block or fail them on demand.</summary>
internal sealed class RecordingFlusher : IFileFlusher
{
    private int _flushes;

    public int Flushes => Volatile.Read(ref _flushes);

    private volatile bool _fail;

    public bool Fail { get => _fail; set => _fail = value; }

    private int _failNext;

    /// <summary>The next <paramref name="count"/> flushes fail, then flushes succeed again (a disk error that passes).</summary>
    public void FailNext(int count = 1) => Volatile.Write(ref _failNext, count);

    /// <summary>When set, the next flushes signal <see cref="Entered"/> and wait for the gate.</summary>
    public ManualResetEventSlim? Gate { get; set; }

    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Flush(string path)
    {
        if (Fail) throw new IOException("injected flush failure");
        if (Volatile.Read(ref _failNext) > 0 && Interlocked.Decrement(ref _failNext) >= 0) throw new IOException("injected flush failure (once)");
        if (Gate is { } gate)
        {
            Entered.TrySetResult();
            gate.Wait(TimeSpan.FromSeconds(30));
        }

        Interlocked.Increment(ref _flushes);
    }
}
