namespace TwoPC.Coordinator.Transactions;

/// <summary>
/// Everything the coordinator knows about one transaction. The live copy is mutated only under its
/// <see cref="TransactionHandle"/> gate; storage receives <see cref="Clone"/>s.
/// </summary>
public sealed class TransactionRecord
{
    /// <summary>Unique id (a GUID in "N" format).</summary>
    public string Id { get; set; } = "";

    /// <summary>2PC or saga.</summary>
    public TransactionMode Mode { get; set; }

    /// <summary>Current state.</summary>
    public TransactionState State { get; set; }

    /// <summary>Why it aborted / was compensated / needs attention.</summary>
    public string? Reason { get; set; }

    /// <summary>
    /// Saga: why it rolls back (its first failed required step). <see cref="Reason"/> says the same, and while the
    /// saga is parked also which compensation failed; a resumed saga goes back to this reason.
    /// </summary>
    public string? RollbackReason { get; set; }

    /// <summary>When Begin (or RunSaga) was received.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When an undecided transaction is aborted.</summary>
    public DateTimeOffset Deadline { get; set; }

    /// <summary>When the decision was taken.</summary>
    public DateTimeOffset? DecidedAt { get; set; }

    /// <summary>When phase 2 (or the saga) finished.</summary>
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>Client idempotency key of Begin / RunSaga.</summary>
    public string? IdempotencyKey { get; set; }

    /// <summary>2PC branches.</summary>
    public List<BranchRecord> Branches { get; set; } = [];

    /// <summary>Saga steps.</summary>
    public List<SagaStepRecord> Steps { get; set; } = [];

    /// <summary>Saga this one amends.</summary>
    public string? AmendsTransactionId { get; set; }

    /// <summary>Sagas that amend this one.</summary>
    public List<string> AmendedBy { get; set; } = [];

    /// <summary>A deep copy for storage or for readers outside the gate.</summary>
    public TransactionRecord Clone()
    {
        var copy = (TransactionRecord)MemberwiseClone();
        copy.Branches = Branches.ConvertAll(b => b.Clone());
        copy.Steps = Steps.ConvertAll(s => s.Clone());
        copy.AmendedBy = [.. AmendedBy];
        return copy;
    }
}
