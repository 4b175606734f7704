using Google.Protobuf.WellKnownTypes;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Client;

/// <summary>Maps coordinator messages onto the client's public types.</summary>
internal static class ProtoMapping
{
    public static TransactionStatus ToStatus(P.TransactionInfo info) => new(
        info.TransactionId,
        (TransactionMode)(int)info.Mode,
        (TransactionState)(int)info.State,
        (TransactionOutcomeKind)(int)info.Outcome,
        info.Reason,
        info.PresumedAbort,
        Time(info.CreatedAt),
        Time(info.DecidedAt),
        Time(info.CompletedAt),
        Time(info.Deadline),
        info.Branches.Select(b => new BranchStatusInfo(b.BranchId, b.ParticipantAddress, b.Resource,
            (BranchState)(int)b.State, (ParticipantVote)(int)b.Vote, b.Reason, b.Attempts)).ToList(),
        info.Steps.Select(ToReport).ToList(),
        info.AmendsTransactionId,
        info.AmendedBy.ToList());

    public static SagaStepReport ToReport(P.SagaStepInfo s) => new(s.Name, s.Group, s.Optional, s.ParticipantAddress, s.Resource,
        (BranchState)(int)s.State, s.Attempts, s.CompensationAttempts, s.LastError, s.Result.ToByteArray());

    public static TransactionOutcome ToOutcome(P.Outcome outcome, string reason, P.TransactionState state) =>
        new((TransactionOutcomeKind)(int)outcome, reason, (TransactionState)(int)state);

    public static DateTimeOffset? Time(Timestamp? timestamp) => timestamp is null ? null : timestamp.ToDateTimeOffset();

    public static Duration? Duration(TimeSpan? value) => value is { } v ? Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(v) : null;
}
