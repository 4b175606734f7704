namespace TwoPC.Demo.Soak;

/// <summary>What the client was told about one transfer.</summary>
internal enum Acknowledged
{
    /// <summary>Begin or Enlist failed: Commit was never called, so it must be invisible.</summary>
    NotCommitted,
    /// <summary>Commit answered COMMITTED.</summary>
    Committed,
    /// <summary>Commit answered ABORTED (or the transaction was definitely aborted).</summary>
    Aborted,
    /// <summary>Commit's answer was lost: resolved with GetTransaction (<see cref="TransferRecord.Resolved"/>).</summary>
    InDoubt,
}

/// <summary>
/// One transfer of the soak: -Amount on (FromBank, FromAccount), +Amount on (ToBank, ToAccount), in one 2PC
/// transaction whose id is the transfer's unique id.
/// </summary>
internal sealed class TransferRecord(int fromBank, int fromAccount, int toBank, int toAccount, long amount)
{
    public int FromBank { get; } = fromBank;

    public int FromAccount { get; } = fromAccount;

    public int ToBank { get; } = toBank;

    public int ToAccount { get; } = toAccount;

    public long Amount { get; } = amount;

    /// <summary>The coordinator's transaction id; null when Begin itself failed (then nothing can have happened).</summary>
    public string? TransactionId { get; set; }

    public Acknowledged Acknowledged { get; set; }

    /// <summary>The final outcome learned from the coordinator for InDoubt/NotCommitted transfers: true committed, false aborted, null unknown.</summary>
    public bool? Resolved { get; set; }

    /// <summary>Whether the money moved, by what the client knows in the end.</summary>
    public bool? Committed => Acknowledged switch
    {
        Acknowledged.Committed => true,
        Acknowledged.Aborted => false,
        _ when TransactionId is null => false,
        _ => Resolved,
    };
}
