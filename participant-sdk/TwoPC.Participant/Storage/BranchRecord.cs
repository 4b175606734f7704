namespace TwoPC.Participant.Storage;

/// <summary>The participant's record of one 2PC branch.</summary>
internal sealed record BranchRecord(
    string TransactionId,
    int BranchId,
    string Resource,
    byte[] Payload,
    byte[]? State,
    string CoordinatorAddress,
    BranchStatus Status,
    string Reason,
    bool Tombstone,
    DateTimeOffset PreparedAt,
    DateTimeOffset? DecidedAt)
{
    public string Key => BranchLog.KeyOf(TransactionId, BranchId);
}
