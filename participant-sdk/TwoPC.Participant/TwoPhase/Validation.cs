namespace TwoPC.Participant.TwoPhase;

/// <summary>Input checks shared by the participant operations; messages name the protobuf field.</summary>
internal static class Validation
{
    public static void RequireId(string value, string field)
    {
        if (string.IsNullOrWhiteSpace(value)) throw ParticipantException.Invalid($"{field} is required.");
        if (value.Length > ProtocolLimits.MaxNameLength) throw ParticipantException.Invalid($"{field} must be at most {ProtocolLimits.MaxNameLength} characters.");
    }

    public static void RequireBranchId(int value)
    {
        if (value < 1) throw ParticipantException.Invalid("branch_id must be 1 or more.");
    }

    /// <summary>The coordinator's decision-log identity: optional, at most <see cref="ProtocolLimits.MaxKeyLength"/> characters.</summary>
    public static void CheckLogId(string value)
    {
        if (value.Length > ProtocolLimits.MaxKeyLength) throw ParticipantException.Invalid($"log_id must be at most {ProtocolLimits.MaxKeyLength} characters.");
    }

    public static void RequirePayload(int length, int max, string field)
    {
        if (length > max) throw ParticipantException.Invalid($"{field} is {length} bytes; the limit is {max}.");
    }
}
