using LiteDB;
using TwoPC.Durability;

namespace TwoPC.Participant.Storage;

/// <summary>
/// The participant's own LiteDB file: the SDK keeps its prepared log and saga barrier there, and the application may
/// keep its business data there too, so that both change in one local transaction.
/// </summary>
/// <remarks>
/// Durability contract:
/// <list type="bullet">
/// <item>All writes go through <see cref="Committer"/> (a single writer thread with group commit); never write
/// through <see cref="Database"/> directly. Reads through <see cref="Database"/> may run on any thread.</item>
/// <item>A write queued with <c>force: true</c> is on stable storage (fdatasync returned) when its task completes.
/// A lazy write (<c>force: false</c>) is committed and visible to reads but may be lost on a crash until a later
/// forced write or flush.</item>
/// <item>A write is atomic: either all of its changes are committed or none.</item>
/// <item>If a commit or flush fails, some, none or all of the write may be durable and the store stops for good
/// (<see cref="StorageFailedException"/>): every later write fails, and the host's <see cref="IStorageFailStop"/>
/// ends the process, which restarts and rebuilds its memory from the file. A flush that succeeds after a failed one
/// proves nothing (Linux drops the failed pages' error), so nothing is ever answered from a record whose write failed.</item>
/// <item>A committed record read through <see cref="Database"/> may not be on disk yet (a lazy write); before answering
/// a remote caller from it, the SDK writes it again, forced.</item>
/// </list>
/// </remarks>
public interface IParticipantStore
{
    /// <summary>The single writer of the file.</summary>
    LiteDbGroupCommitter Committer { get; }

    /// <summary>The database, for reads only.</summary>
    LiteDatabase Database { get; }
}
