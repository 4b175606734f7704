using TwoPC.Client;

namespace TwoPC.Participant.TwoPhase;

/// <summary>A Prepare call, transport-neutral. <c>LogId</c>: the coordinator's decision-log identity (may be empty).</summary>
internal sealed record PrepareCommand(string TransactionId, int BranchId, string Resource, byte[] Payload, string CoordinatorAddress, bool OnePhase, string LogId = "");

/// <summary>A Commit or Abort call, transport-neutral.</summary>
internal sealed record BranchCommand(string TransactionId, int BranchId, string Resource);

/// <summary>A branch's final outcome.</summary>
internal enum BranchOutcome
{
    None,
    Committed,
    Aborted,
}

/// <summary>The answer to Prepare.</summary>
internal sealed record PrepareAnswer(Vote Vote, string Reason, BranchOutcome Outcome);
