namespace TwoPC.Participant.Hosting;

/// <summary>A named 2PC or saga step resource registered with the participant.</summary>
internal sealed record ResourceRegistration(string Name, Type Type, ResourceKind Kind);

/// <summary>Whether a registration is a 2PC resource or a saga step.</summary>
internal enum ResourceKind
{
    Transactional,
    SagaStep,
}
