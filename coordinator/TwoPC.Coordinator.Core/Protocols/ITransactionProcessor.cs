using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Protocols;

/// <summary>
/// One processor per transaction mode (dtm's <c>trans_type_*.go</c>). The engine hands a live transaction to the
/// processor of its mode whenever there is work to finish: after the client's call, and after a restart.
/// </summary>
public interface ITransactionProcessor
{
    /// <summary>The mode this processor drives.</summary>
    TransactionMode Mode { get; }

    /// <summary>
    /// Drives <paramref name="handle"/> from its current (recovered or live) state to a finished state:
    /// 2PC finishes phase 2 or aborts an undecided transaction; a saga continues forward or compensates.
    /// Idempotent: safe to call again after a crash at any point. Returns when finished or cancelled.
    /// </summary>
    Task ResumeAsync(TransactionHandle handle, CancellationToken cancellationToken);
}
