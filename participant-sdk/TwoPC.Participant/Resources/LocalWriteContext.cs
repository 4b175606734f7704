using LiteDB;

namespace TwoPC.Participant.Resources;

/// <summary>
/// Base of the contexts handed to resources and saga handlers: collects local writes the SDK applies to the
/// participant's LiteDB file in the same transaction as its own record.
/// </summary>
public abstract class LocalWriteContext
{
    private readonly List<Action<LiteDatabase>> _writes = new();

    /// <summary>
    /// Adds a write that the SDK runs on its writer thread, inside the same LiteDB transaction as its own record
    /// (prepared, committed, aborted or barrier row). Either both become durable or neither does. Do not call
    /// BeginTrans/Commit inside the action.
    /// </summary>
    public void Write(Action<LiteDatabase> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        _writes.Add(write);
    }

    internal IReadOnlyList<Action<LiteDatabase>> Writes => _writes;

    internal void ApplyWrites(LiteDatabase database)
    {
        foreach (var write in _writes) write(database);
    }
}
