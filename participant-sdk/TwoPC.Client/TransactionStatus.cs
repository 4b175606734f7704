using TwoPC.Client.Serialization;

namespace TwoPC.Client;

/// <summary>The coordinator's record of one transaction.</summary>
public sealed record TransactionStatus(
    string TransactionId,
    TransactionMode Mode,
    TransactionState State,
    TransactionOutcomeKind Outcome,
    string Reason,
    bool PresumedAbort,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? DecidedAt,
    DateTimeOffset? CompletedAt,
    DateTimeOffset? Deadline,
    IReadOnlyList<BranchStatusInfo> Branches,
    IReadOnlyList<SagaStepReport> Steps,
    string AmendsTransactionId,
    IReadOnlyList<string> AmendedBy);

/// <summary>One branch of a 2PC transaction.</summary>
public sealed record BranchStatusInfo(int BranchId, string ParticipantAddress, string Resource, BranchState State, Vote Vote, string Reason, int Attempts);

/// <summary>One step of a saga.</summary>
/// <param name="Name">The step's name, unique in the saga.</param>
/// <param name="Group">Steps with the same group ran in parallel; groups ran in ascending order.</param>
/// <param name="Optional">Whether the step may fail without rolling the saga back.</param>
/// <param name="ParticipantAddress">The participant that hosts the step.</param>
/// <param name="Resource">The saga step resource inside that participant.</param>
/// <param name="State">The step's state.</param>
/// <param name="Attempts">Attempts of the action.</param>
/// <param name="CompensationAttempts">Attempts of the compensation.</param>
/// <param name="Error">The last error, empty when none.</param>
/// <param name="Output">The bytes the action returned; <see cref="OutputAs{T}"/> reads them typed.</param>
public sealed record SagaStepReport(
    string Name,
    int Group,
    bool Optional,
    string ParticipantAddress,
    string Resource,
    BranchState State,
    int Attempts,
    int CompensationAttempts,
    string Error,
    ReadOnlyMemory<byte> Output)
{
    /// <summary>The serializer of the client that read this report.</summary>
    internal ITwoPcSerializer Serializer { get; init; } = TwoPcSerializer.Default;

    /// <summary>The action's output as <typeparamref name="T"/>, read with the client's serializer.</summary>
    /// <exception cref="TwoPcSerializationException">The output is not a <typeparamref name="T"/> (or the step has none).</exception>
    public T OutputAs<T>() => Serializer.Deserialize<T>(Output);
}

/// <summary>The result of <see cref="SagaBuilder.RunAsync"/>, <see cref="SagaBuilder.StartAsync"/> or <see cref="ITwoPcClient.WaitForSagaAsync"/>.</summary>
/// <param name="TransactionId">The saga's transaction id.</param>
/// <param name="Outcome">How it ended; <see cref="SagaOutcome.Running"/> when started without waiting.</param>
/// <param name="Reason">Why it compensated or parked; for a completed saga, its optional steps of unknown outcome.</param>
/// <param name="Steps">The steps and their states (when started without waiting, as recorded so far).</param>
public sealed record SagaResult(string TransactionId, SagaOutcome Outcome, string Reason, IReadOnlyList<SagaStepReport> Steps)
{
    /// <summary>The step named <paramref name="name"/>, or null when the saga has none.</summary>
    public SagaStepReport? Step(string name) => Steps.FirstOrDefault(s => s.Name == name);
}
