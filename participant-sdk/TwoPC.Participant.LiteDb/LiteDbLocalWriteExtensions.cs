using LiteDB;
using TwoPC.Participant.Resources;

namespace TwoPC.Participant.LiteDb;

/// <summary>Local writes for the LiteDB store.</summary>
public static class LiteDbLocalWriteExtensions
{
    /// <summary>
    /// Adds a write that runs on the store's writer thread inside the same LiteDB transaction as the SDK's record, after
    /// the call returns: either both become durable or neither does. Do not call BeginTrans/Commit inside it.
    /// </summary>
    public static void Write(this LocalWriteContext context, Action<LiteDatabase> write)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(write);
        context.Write<LiteDbStoreTransaction>((transaction, _) =>
        {
            write(transaction.Database);
            return ValueTask.CompletedTask;
        });
    }
}
