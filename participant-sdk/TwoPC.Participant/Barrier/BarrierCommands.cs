namespace TwoPC.Participant.Barrier;

/// <summary>An Execute or Compensate call, transport-neutral.</summary>
internal sealed record StepCommand(string TransactionId, string StepName, string Resource, byte[] Payload, int Attempt);

/// <summary>What the barrier answers to Execute.</summary>
internal enum ExecuteOutcome
{
    Succeeded = 1,
    Failed = 2,
    RejectedAfterCompensation = 3,
}

/// <summary>What the barrier answers to Compensate.</summary>
internal enum CompensateOutcome
{
    Compensated = 1,
    NullCompensation = 2,
}

/// <summary>The answer to Execute.</summary>
internal sealed record ExecuteAnswer(ExecuteOutcome Outcome, byte[] Output, string Reason);
