using LiteDB;

namespace TwoPC.Durability;

/// <summary>One queued write of a <see cref="LiteDbGroupCommitter"/>.</summary>
internal abstract class WriteRequest
{
    protected WriteRequest(bool force) => Force = force;

    public bool Force { get; }

    public abstract void Run(LiteDatabase database);

    public abstract void ResetResult();

    public abstract void CompleteIfPending();

    public abstract void Fail(Exception error);

    public abstract void FailIfPending(Exception error);
}

internal sealed class WriteRequest<T> : WriteRequest
{
    private readonly Func<LiteDatabase, T> _write;
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T? _result;
    private bool _failed;

    public WriteRequest(Func<LiteDatabase, T> write, bool force) : base(force) => _write = write;

    public Task<T> Task => _completion.Task;

    public override void Run(LiteDatabase database) => _result = _write(database);

    public override void ResetResult() => _result = default;

    public override void CompleteIfPending()
    {
        if (!_failed) _completion.TrySetResult(_result!);
    }

    public override void Fail(Exception error)
    {
        _failed = true;
        _completion.TrySetException(error);
    }

    public override void FailIfPending(Exception error)
    {
        if (!_failed) _completion.TrySetException(error);
    }
}
