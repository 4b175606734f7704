namespace TwoPC.Participant.TwoPhase;

/// <summary>Protocol-level errors of the participant engine, mapped onto gRPC status codes in one place.</summary>
internal enum ParticipantErrorKind
{
    /// <summary>A field is missing or out of range.</summary>
    InvalidArgument,

    /// <summary>The resource or saga step is not hosted here.</summary>
    NotFound,

    /// <summary>The call contradicts what this participant recorded (protocol violation).</summary>
    FailedPrecondition,

    /// <summary>A transient failure (resource or storage); the caller may retry.</summary>
    Unavailable,
}
