namespace TwoPC.Client;

/// <summary>A branch enlisted together with <see cref="TwoPcClient.BeginAsync(IReadOnlyList{Enlistment}, TimeSpan?, string?, CancellationToken)"/>.</summary>
/// <param name="Participant">The participant's gRPC address.</param>
/// <param name="Resource">The resource inside the participant.</param>
/// <param name="Payload">Bytes handed to the resource in Prepare.</param>
/// <param name="BranchKey">Optional idempotency key of the branch.</param>
public sealed record Enlistment(Uri Participant, string Resource, ReadOnlyMemory<byte> Payload, string? BranchKey = null);
