namespace TwoPC.Participant.Storage;

/// <summary>
/// The participant's record of one 2PC branch: its vote, and later its decision, with what a resource needs to
/// finish or recover it.
/// </summary>
/// <param name="TransactionId">The coordinator's transaction id.</param>
/// <param name="BranchId">The branch number inside the transaction.</param>
/// <param name="Resource">The resource the branch was enlisted with.</param>
/// <param name="Payload">The payload given at Enlist.</param>
/// <param name="State">The state the resource returned with its PREPARED vote, if any.</param>
/// <param name="CoordinatorAddress">The coordinator that sent Prepare; asked about the branch while it is in doubt.</param>
/// <param name="Status">What was recorded.</param>
/// <param name="Reason">Why the branch voted ABORT or was aborted; empty otherwise.</param>
/// <param name="Tombstone">True for the record of an Abort that arrived before any Prepare (a late Prepare votes ABORT).</param>
/// <param name="PreparedAt">When the vote was recorded.</param>
/// <param name="DecidedAt">When the decision was recorded, or null while prepared.</param>
/// <param name="LogId">
/// The coordinator's decision-log identity from the Prepare (empty when the coordinator sent none). It goes back with
/// every in-doubt query, so that only the log that may hold the decision can presume abort.
/// </param>
public sealed record BranchRecord(
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
    /// <summary>The record's unique key: transaction and branch.</summary>
    public string Key => KeyOf(TransactionId, BranchId);

    /// <summary>The unique key of the record for (<paramref name="transactionId"/>, <paramref name="branchId"/>).</summary>
    public static string KeyOf(string transactionId, int branchId) => transactionId + "/" + branchId;
}
