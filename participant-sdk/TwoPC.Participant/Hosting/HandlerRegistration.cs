namespace TwoPC.Participant.Hosting;

/// <summary>A named resource or saga step handler registered with the participant.</summary>
internal sealed record HandlerRegistration(string Name, Type Type, HandlerKind Kind);

/// <summary>Whether a registration is a 2PC resource or a saga step.</summary>
internal enum HandlerKind
{
    Resource,
    SagaStep,
}
