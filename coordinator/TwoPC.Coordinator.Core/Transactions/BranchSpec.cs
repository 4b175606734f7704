namespace TwoPC.Coordinator.Transactions;

/// <summary>A branch to enlist: what <c>Enlist</c> carries, or one entry of <c>BeginRequest.branches</c>.</summary>
/// <param name="ParticipantAddress">Absolute http(s) address of the participant.</param>
/// <param name="Resource">Resource name inside the participant.</param>
/// <param name="Payload">Bytes handed to the resource in Prepare.</param>
/// <param name="BranchKey">Optional idempotency key of the branch.</param>
public readonly record struct BranchSpec(string ParticipantAddress, string Resource, byte[] Payload, string? BranchKey);
