namespace TwoPC.Participant.LiteDb;

/// <summary>Options of the LiteDB participant store, validated when the host starts.</summary>
public sealed class LiteDbParticipantStoreOptions
{
    /// <summary>
    /// Path of the participant's LiteDB file (branch records, saga barrier, and the service's own data if it keeps it
    /// there); relative paths are relative to the working directory. Required.
    /// </summary>
    public string DataPath { get; set; } = "";
}
