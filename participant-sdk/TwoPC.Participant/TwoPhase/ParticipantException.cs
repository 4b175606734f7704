namespace TwoPC.Participant.TwoPhase;

/// <summary>An error of the participant engine that the transport maps onto a status code.</summary>
internal sealed class ParticipantException : Exception
{
    public ParticipantException(ParticipantErrorKind kind, string message, Exception? inner = null)
        : base(message, inner) => Kind = kind;

    public ParticipantErrorKind Kind { get; }

    public static ParticipantException Invalid(string message) => new(ParticipantErrorKind.InvalidArgument, message);

    public static ParticipantException Transient(string message, Exception inner) => new(ParticipantErrorKind.Unavailable, message + ": " + inner.Message, inner);
}
