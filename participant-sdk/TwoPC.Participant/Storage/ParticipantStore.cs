using LiteDB;
using Microsoft.Extensions.Options;
using TwoPC.Durability;
using TwoPC.Participant.Hosting;

namespace TwoPC.Participant.Storage;

/// <summary>
/// Opens the participant's LiteDB file with a <see cref="LiteDbGroupCommitter"/>. A failed forced write stops the
/// store and calls <see cref="IStorageFailStop"/> (by default: the process ends and rebuilds memory from disk).
/// </summary>
internal sealed class ParticipantStore : IParticipantStore, IDisposable
{
    public ParticipantStore(IOptions<ParticipantOptions> options, IFileFlusher flusher, DurabilityMetrics metrics, IStorageFailStop failStop)
    {
        Committer = new LiteDbGroupCommitter(new GroupCommitOptions { Path = options.Value.DataPath, OnFailStop = failStop.Stop }, flusher, metrics);
        BranchLog.EnsureIndexes(Committer.Database);
    }

    public LiteDbGroupCommitter Committer { get; }

    public LiteDatabase Database => Committer.Database;

    public void Dispose() => Committer.Dispose();
}
