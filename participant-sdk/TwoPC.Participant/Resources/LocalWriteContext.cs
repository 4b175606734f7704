using TwoPC.Client.Serialization;
using TwoPC.Participant.Storage;

namespace TwoPC.Participant.Resources;

/// <summary>
/// Base of the contexts handed to resources and saga steps: collects the local writes the SDK applies in the same
/// local transaction as its own record, in the participant's store.
/// </summary>
public abstract class LocalWriteContext
{
    private readonly Type _transactionType;
    private readonly List<LocalWrite> _writes = new();

    private protected LocalWriteContext(Type transactionType, ITwoPcSerializer serializer)
    {
        _transactionType = transactionType;
        Serializer = serializer;
    }

    /// <summary>The participant's payload serializer (registered <see cref="ITwoPcSerializer"/>; <see cref="TwoPcSerializer.Default"/> unless replaced).</summary>
    public ITwoPcSerializer Serializer { get; }

    /// <summary>
    /// Adds a write that the SDK runs inside the same local transaction as its own record (prepared, committed, aborted
    /// or barrier row), after the call returns: either both become durable or neither does. <typeparamref name="TTransaction"/>
    /// is the store's transaction type (its package also offers a shorter overload, such as <c>Write(Action&lt;LiteDatabase&gt;)</c>
    /// for the LiteDB store). Do not commit or roll back the transaction inside the write.
    /// </summary>
    /// <exception cref="InvalidOperationException">The participant's store hands out another transaction type.</exception>
    public void Write<TTransaction>(Func<TTransaction, CancellationToken, ValueTask> write) where TTransaction : IStoreTransaction
    {
        ArgumentNullException.ThrowIfNull(write);
        if (!typeof(TTransaction).IsAssignableFrom(_transactionType))
            throw new InvalidOperationException($"This participant's store hands out {_transactionType.Name}, not {typeof(TTransaction).Name}: write with the store's transaction type.");
        _writes.Add((transaction, cancellationToken) => write((TTransaction)transaction, cancellationToken));
    }

    internal IReadOnlyList<LocalWrite> Writes => _writes;
}
