namespace TwoPC.Participant.Storage;

/// <summary>
/// The participant's record of one 2PC branch. <c>LogId</c> is the coordinator's decision-log identity from the
/// Prepare (empty for records written before coordinators sent one, or by a coordinator that sends none); it goes
/// back with every in-doubt query so that only the log that may hold the decision can presume abort.
/// </summary>
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
    DateTimeOffset? DecidedAt,
    string LogId = "")
{
    public string Key => BranchLog.KeyOf(TransactionId, BranchId);
}
