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
public sealed record BranchStatusInfo(int BranchId, string ParticipantAddress, string Resource, BranchState State, ParticipantVote Vote, string Reason, int Attempts);

/// <summary>One step of a saga.</summary>
public sealed record SagaStepReport(
    string Name,
    int Group,
    bool Optional,
    string ParticipantAddress,
    string Handler,
    BranchState State,
    int Attempts,
    int CompensationAttempts,
    string Error,
    ReadOnlyMemory<byte> Output);

/// <summary>The result of <see cref="SagaBuilder.RunAsync"/>.</summary>
public sealed record SagaResult(string TransactionId, SagaOutcome Outcome, string Reason, IReadOnlyList<SagaStepReport> Steps);
