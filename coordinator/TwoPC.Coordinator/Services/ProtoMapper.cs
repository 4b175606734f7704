using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using TwoPC.Coordinator.Transactions;
using Proto = TwoPC.Protocol.V1;

namespace TwoPC.Coordinator.Services;

/// <summary>Domain ↔ proto mapping. Domain enum values equal the proto values by design.</summary>
internal static class ProtoMapper
{
    public static Proto.TransactionInfo ToProto(TransactionRecord r, bool presumed = false)
    {
        var info = new Proto.TransactionInfo
        {
            TransactionId = r.Id,
            Mode = (Proto.TransactionMode)(int)r.Mode,
            State = (Proto.TransactionState)(int)r.State,
            Outcome = r.State.IsCommitDecided() || r.State == TransactionState.SagaCompleted ? Proto.Outcome.Committed
                : r.State.IsAbortDecided() || r.State == TransactionState.SagaCompensated ? Proto.Outcome.Aborted
                : Proto.Outcome.Pending,
            Reason = r.Reason ?? "",
            PresumedAbort = presumed,
            AmendsTransactionId = r.AmendsTransactionId ?? "",
        };
        if (r.CreatedAt != default) info.CreatedAt = Timestamp.FromDateTimeOffset(r.CreatedAt);
        if (r.Deadline != default) info.Deadline = Timestamp.FromDateTimeOffset(r.Deadline);
        if (r.DecidedAt is { } d) info.DecidedAt = Timestamp.FromDateTimeOffset(d);
        if (r.CompletedAt is { } c) info.CompletedAt = Timestamp.FromDateTimeOffset(c);
        foreach (var b in r.Branches)
        {
            info.Branches.Add(new Proto.BranchInfo
            {
                BranchId = b.BranchId,
                ParticipantAddress = b.ParticipantAddress,
                Resource = b.Resource,
                State = (Proto.BranchState)(int)b.State,
                Vote = (Proto.Vote)(int)b.Vote,
                Reason = b.Reason ?? "",
                Attempts = b.Attempts,
            });
        }

        foreach (var s in r.Steps) info.Steps.Add(ToProto(s));
        info.AmendedBy.AddRange(r.AmendedBy);
        return info;
    }

    public static Proto.SagaStepInfo ToProto(SagaStepRecord s) => new()
    {
        Name = s.Name,
        Group = s.Group,
        Optional = s.Optional,
        ParticipantAddress = s.ParticipantAddress,
        Resource = s.Resource,
        State = (Proto.BranchState)(int)s.State,
        Attempts = s.Attempts,
        CompensationAttempts = s.CompensationAttempts,
        LastError = s.LastError ?? "",
        Result = ByteString.CopyFrom(s.Result),
    };

    public static TimeSpan? ToTimeSpan(Duration? d, string field)
    {
        if (d is null) return null;
        if (d.Seconds < 0 || d.Nanos < 0) throw new InvalidRequestException(field, "must not be negative");
        if (d.Seconds > 10L * 365 * 24 * 3600) throw new InvalidRequestException(field, "is far too large");
        return d.ToTimeSpan();
    }

    public static Proto.Outcome Outcome(bool committed) => committed ? Proto.Outcome.Committed : Proto.Outcome.Aborted;
}
