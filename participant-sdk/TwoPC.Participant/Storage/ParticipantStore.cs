using LiteDB;
using Microsoft.Extensions.Options;
using TwoPC.Durability;
using TwoPC.Participant.Hosting;

namespace TwoPC.Participant.Storage;

/// <summary>Opens the participant's LiteDB file with a <see cref="LiteDbGroupCommitter"/>.</summary>
internal sealed class ParticipantStore : IParticipantStore, IDisposable
{
    public ParticipantStore(IOptions<ParticipantOptions> options, IFileFlusher flusher, DurabilityMetrics metrics)
    {
        Committer = new LiteDbGroupCommitter(new GroupCommitOptions { Path = options.Value.DataPath }, flusher, metrics);
        BranchLog.EnsureIndexes(Committer.Database);
    }

    public LiteDbGroupCommitter Committer { get; }

    public LiteDatabase Database => Committer.Database;

    public void Dispose() => Committer.Dispose();
}
