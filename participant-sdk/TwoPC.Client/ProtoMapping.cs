using Google.Protobuf.WellKnownTypes;
using TwoPC.Client.Serialization;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Client;

/// <summary>Maps coordinator messages onto the client's public types.</summary>
internal static class ProtoMapping
{
    public static TransactionStatus ToStatus(P.TransactionInfo info, ITwoPcSerializer serializer) => new(
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
            (BranchState)(int)b.State, (Vote)(int)b.Vote, b.Reason, b.Attempts)).ToList(),
        info.Steps.Select(s => ToReport(s, serializer)).ToList(),
        info.AmendsTransactionId,
        info.AmendedBy.ToList());

    public static SagaStepReport ToReport(P.SagaStepInfo s, ITwoPcSerializer serializer) => new(s.Name, s.Group, s.Optional, s.ParticipantAddress, s.Resource,
        (BranchState)(int)s.State, s.Attempts, s.CompensationAttempts, s.LastError, s.Result.ToByteArray()) { Serializer = serializer };

    public static SagaResult ToResult(P.RunSagaResponse response, ITwoPcSerializer serializer) => new(response.TransactionId,
        (SagaOutcome)(int)response.Outcome, response.Reason, response.Steps.Select(s => ToReport(s, serializer)).ToList());

    /// <summary>The saga's outcome as its recorded state says; null for a state that is not a saga's.</summary>
    public static SagaOutcome? SagaOutcomeOf(TransactionState state) => state switch
    {
        TransactionState.SagaRunning or TransactionState.SagaCompensating => SagaOutcome.Running,
        TransactionState.SagaCompleted => SagaOutcome.Completed,
        TransactionState.SagaCompensated => SagaOutcome.Compensated,
        TransactionState.SagaNeedsAttention => SagaOutcome.NeedsAttention,
        _ => null,
    };

    public static TransactionOutcome ToOutcome(P.Outcome outcome, string reason, P.TransactionState state) =>
        new((TransactionOutcomeKind)(int)outcome, reason, (TransactionState)(int)state);

    public static DateTimeOffset? Time(Timestamp? timestamp) => timestamp is null ? null : timestamp.ToDateTimeOffset();

    public static Duration? Duration(TimeSpan? value) => value is { } v ? Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(v) : null;

    /// <summary>
    /// The bytes of a typed payload: byte buffers (arrays and memory) as they are, whatever the serializer, anything
    /// else through <paramref name="serializer"/>.
    /// </summary>
    public static ReadOnlyMemory<byte> Encode<T>(ITwoPcSerializer serializer, T value) => value switch
    {
        byte[] b => b,
        ReadOnlyMemory<byte> m => m,
        Memory<byte> m => m,
        _ => serializer.Serialize(value),
    };
}
