namespace TwoPC.Coordinator.Transactions;

/// <summary>One branch of a 2PC transaction. Mutated only under the transaction's gate.</summary>
public sealed class BranchRecord
{
    /// <summary>Branch number inside the transaction, from 1.</summary>
    public int BranchId { get; set; }

    /// <summary>Participant endpoint (absolute URI).</summary>
    public string ParticipantAddress { get; set; } = "";

    /// <summary>Resource name inside the participant.</summary>
    public string Resource { get; set; } = "";

    /// <summary>Payload for Prepare. Kept in memory only: after a restart, an undecided transaction aborts.</summary>
    public byte[] Payload { get; set; } = [];

    /// <summary>Client idempotency key of the Enlist, if any.</summary>
    public string? BranchKey { get; set; }

    /// <summary>Current state.</summary>
    public BranchState State { get; set; } = BranchState.Enlisted;

    /// <summary>The vote received.</summary>
    public Vote Vote { get; set; }

    /// <summary>Abort reason or last error.</summary>
    public string? Reason { get; set; }

    /// <summary>Calls made in the current phase (stored with the record, so it is still reported once finished).</summary>
    public int Attempts { get; set; }

    /// <summary>True once Prepare was sent: an unknown vote may then be a durable yes.</summary>
    public bool PrepareSent { get; set; }

    /// <summary>A copy that shares nothing mutable.</summary>
    public BranchRecord Clone() => (BranchRecord)MemberwiseClone();
}
