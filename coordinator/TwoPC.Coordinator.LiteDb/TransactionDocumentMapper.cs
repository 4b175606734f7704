using LiteDB;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Storage.LiteDb;

/// <summary>Maps <see cref="TransactionRecord"/> to and from BSON by hand (no reflection on the hot path).</summary>
internal static class TransactionDocumentMapper
{
    public static BsonDocument ToDocument(TransactionRecord r)
    {
        var doc = new BsonDocument
        {
            ["_id"] = r.Id,
            ["mode"] = (int)r.Mode,
            ["state"] = (int)r.State,
            ["finished"] = r.State.IsFinished(),
            ["created"] = r.CreatedAt.UtcTicks,
            ["deadline"] = r.Deadline.UtcTicks,
        };
        if (r.Reason is not null) doc["reason"] = r.Reason;
        if (r.RollbackReason is not null) doc["rollback"] = r.RollbackReason;
        if (r.DecidedAt is { } decided) doc["decided"] = decided.UtcTicks;
        if (r.CompletedAt is { } completed) doc["completed"] = completed.UtcTicks;
        if (r.IdempotencyKey is not null) doc["ikey"] = r.IdempotencyKey;
        if (r.Branches.Count > 0)
        {
            var branches = new BsonArray();
            foreach (var b in r.Branches)
            {
                var bd = new BsonDocument
                {
                    ["id"] = b.BranchId,
                    ["addr"] = b.ParticipantAddress,
                    ["res"] = b.Resource,
                    ["st"] = (int)b.State,
                    ["vote"] = (int)b.Vote,
                    ["sent"] = b.PrepareSent,
                };
                if (b.Reason is not null) bd["why"] = b.Reason;
                if (b.BranchKey is not null) bd["key"] = b.BranchKey;
                if (b.Attempts != 0) bd["att"] = b.Attempts;
                branches.Add(bd);
            }

            doc["branches"] = branches;
        }

        if (r.Steps.Count > 0)
        {
            var steps = new BsonArray();
            foreach (var s in r.Steps)
            {
                var sd = new BsonDocument
                {
                    ["name"] = s.Name,
                    ["group"] = s.Group,
                    ["opt"] = s.Optional,
                    ["addr"] = s.ParticipantAddress,
                    ["res"] = s.Resource,
                    ["act"] = s.ActionPayload,
                    ["max"] = s.MaxAttempts,
                    ["ib"] = s.InitialBackoff.Ticks,
                    ["mb"] = s.MaxBackoff.Ticks,
                    ["to"] = s.Timeout.Ticks,
                    ["st"] = (int)s.State,
                    ["att"] = s.Attempts,
                    ["catt"] = s.CompensationAttempts,
                    ["out"] = s.Result,
                };
                if (s.CompensationPayload is not null) sd["comp"] = s.CompensationPayload;
                if (s.LastError is not null) sd["err"] = s.LastError;
                if (s.OutcomeUnknown) sd["unk"] = true;
                steps.Add(sd);
            }

            doc["steps"] = steps;
        }

        if (r.AmendsTransactionId is not null) doc["amends"] = r.AmendsTransactionId;
        if (r.AmendedBy.Count > 0) doc["amendedBy"] = new BsonArray(r.AmendedBy.Select(a => new BsonValue(a)));
        return doc;
    }

    public static TransactionRecord FromDocument(BsonDocument d)
    {
        var r = new TransactionRecord
        {
            Id = d["_id"].AsString,
            Mode = (TransactionMode)d["mode"].AsInt32,
            State = (TransactionState)d["state"].AsInt32,
            Reason = d.TryGetValue("reason", out var reason) ? reason.AsString : null,
            RollbackReason = d.TryGetValue("rollback", out var rollback) ? rollback.AsString : null,
            CreatedAt = new DateTimeOffset(d["created"].AsInt64, TimeSpan.Zero),
            Deadline = new DateTimeOffset(d["deadline"].AsInt64, TimeSpan.Zero),
            DecidedAt = d.TryGetValue("decided", out var decided) ? new DateTimeOffset(decided.AsInt64, TimeSpan.Zero) : null,
            CompletedAt = d.TryGetValue("completed", out var completed) ? new DateTimeOffset(completed.AsInt64, TimeSpan.Zero) : null,
            IdempotencyKey = d.TryGetValue("ikey", out var ikey) ? ikey.AsString : null,
            AmendsTransactionId = d.TryGetValue("amends", out var amends) ? amends.AsString : null,
        };
        if (d.TryGetValue("branches", out var branches))
        {
            foreach (var item in branches.AsArray)
            {
                var b = item.AsDocument;
                r.Branches.Add(new BranchRecord
                {
                    BranchId = b["id"].AsInt32,
                    ParticipantAddress = b["addr"].AsString,
                    Resource = b["res"].AsString,
                    State = (BranchState)b["st"].AsInt32,
                    Vote = (Vote)b["vote"].AsInt32,
                    PrepareSent = b["sent"].AsBoolean,
                    Reason = b.TryGetValue("why", out var why) ? why.AsString : null,
                    BranchKey = b.TryGetValue("key", out var key) ? key.AsString : null,
                    Attempts = b.TryGetValue("att", out var att) ? att.AsInt32 : 0,
                });
            }
        }

        if (d.TryGetValue("steps", out var steps))
        {
            foreach (var item in steps.AsArray)
            {
                var s = item.AsDocument;
                r.Steps.Add(new SagaStepRecord
                {
                    Name = s["name"].AsString,
                    Group = s["group"].AsInt32,
                    Optional = s["opt"].AsBoolean,
                    ParticipantAddress = s["addr"].AsString,
                    Resource = s["res"].AsString,
                    ActionPayload = s["act"].AsBinary,
                    CompensationPayload = s.TryGetValue("comp", out var comp) ? comp.AsBinary : null,
                    MaxAttempts = s["max"].AsInt32,
                    InitialBackoff = TimeSpan.FromTicks(s["ib"].AsInt64),
                    MaxBackoff = TimeSpan.FromTicks(s["mb"].AsInt64),
                    Timeout = TimeSpan.FromTicks(s["to"].AsInt64),
                    State = (BranchState)s["st"].AsInt32,
                    Attempts = s["att"].AsInt32,
                    CompensationAttempts = s["catt"].AsInt32,
                    LastError = s.TryGetValue("err", out var err) ? err.AsString : null,
                    Result = s["out"].AsBinary,
                    OutcomeUnknown = s.TryGetValue("unk", out var unk) && unk.AsBoolean,
                });
            }
        }

        if (d.TryGetValue("amendedBy", out var amendedBy))
        {
            foreach (var a in amendedBy.AsArray) r.AmendedBy.Add(a.AsString);
        }

        return r;
    }
}
