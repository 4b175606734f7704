using LiteDB;
using TwoPC.Participant.Storage;

namespace TwoPC.Participant.LiteDb;

/// <summary>
/// The LiteDB store's local transaction: the database, inside the single writer's transaction that also writes the
/// SDK's record. Use it only inside the write it was handed to; do not begin, commit or roll back.
/// </summary>
public sealed class LiteDbStoreTransaction : IStoreTransaction
{
    internal LiteDbStoreTransaction(LiteDatabase database) => Database = database;

    /// <summary>The database, for the write's reads and writes.</summary>
    public LiteDatabase Database { get; }
}
