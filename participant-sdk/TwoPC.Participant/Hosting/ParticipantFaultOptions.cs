namespace TwoPC.Participant.Hosting;

/// <summary>
/// Fault points for the real-process crash tests, bound only from configuration
/// (<c>--TwoPC:Participant:FaultPoints:{point}=Crash</c>) and not part of <see cref="ParticipantOptions"/>.
/// </summary>
internal sealed class ParticipantFaultOptions
{
    /// <summary>The configuration section this class is bound from, the same one as the participant's options.</summary>
    public const string Section = "TwoPC:Participant";

    /// <summary>
    /// Point name to action; only <c>Crash</c> acts: the process kills itself with SIGKILL at that point. Points:
    /// <c>participant.before-prepared-record</c>, <c>participant.prepared-durable</c> (record forced, vote not yet
    /// sent), <c>participant.commit-durable</c> (commit record forced, ack not yet sent). Default: none.
    /// </summary>
    public Dictionary<string, string> FaultPoints { get; set; } = new(StringComparer.Ordinal);
}
