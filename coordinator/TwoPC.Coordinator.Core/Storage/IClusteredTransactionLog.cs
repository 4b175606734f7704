using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Storage;

/// <summary>
/// A decision log shared by several coordinator instances (a database). Each transaction is owned by one instance: the
/// one that wrote it first, or the one that claimed it after its owner's lease expired. Only the owner decides.
/// </summary>
/// <remarks>
/// <para><b>Contract</b>, on top of <see cref="ITransactionLog"/>'s (every implementation runs the cluster contract tests):</para>
/// <list type="number">
/// <item><b>Leases.</b> <see cref="RenewLeaseAsync"/> registers this instance on its first call (with a new epoch) and
/// extends its lease to the store's clock + the given duration. Time is the store's clock only, so instances'
/// clocks never need to agree. Once the lease has expired it is never renewed: the call returns false, and the
/// instance must stop (its transactions may be claimed by another).</item>
/// <item><b>Fencing.</b> Every <see cref="ITransactionLog.SaveAsync"/> is conditional, in the same statement that
/// writes: it inserts a new record owned by this instance, or replaces a record only while this instance owns it
/// <i>and</i> its lease is unexpired. Otherwise nothing is written and it throws <see cref="OwnershipLostException"/>.
/// So an instance that was paused or partitioned past its lease cannot write a decision for a transaction another
/// instance may have claimed, whatever its memory says.</item>
/// <item><b>Claims.</b> <see cref="ClaimOrphansAsync"/> makes this instance the owner of unfinished records whose
/// owner's lease has expired (or whose owner is unknown), at most one claimant per record under any race, and returns
/// them as they are stored. A claimed record is resumed exactly as restart recovery resumes it.</item>
/// <item><b>Presumed abort.</b> <see cref="PresumeAbortAsync"/> answers an in-doubt query for an id with no record: it
/// inserts, forced, an aborted record for that id unless one exists, and returns what is stored afterwards. A
/// later first write of the same id by any instance then fails (fencing), so "no record" can never turn into a
/// commit after a participant heard "aborted".</item>
/// <item><see cref="ITransactionLog.LogId"/> is the cluster's identity: every instance of one store reports the same.</item>
/// </list>
/// </remarks>
public interface IClusteredTransactionLog : ITransactionLog
{
    /// <summary>This instance's id, unique for each process start.</summary>
    string InstanceId { get; }

    /// <summary>
    /// Registers (first call) or renews this instance's lease until the store's clock + <paramref name="leaseDuration"/>,
    /// recording <paramref name="advertisedAddress"/> (may be empty) so that others can redirect callers to it.
    /// </summary>
    /// <returns>True while the lease holds; false once it had expired (the instance must stop).</returns>
    Task<bool> RenewLeaseAsync(TimeSpan leaseDuration, string advertisedAddress, CancellationToken cancellationToken);

    /// <summary>Claims up to <paramref name="limit"/> unfinished records whose owner's lease has expired; returns them.</summary>
    Task<IReadOnlyList<TransactionRecord>> ClaimOrphansAsync(int limit, CancellationToken cancellationToken);

    /// <summary>
    /// For an id with no record: stores (forced) an aborted record owned by this instance unless a record exists, and
    /// returns the stored record (that one, or the one another instance wrote first).
    /// </summary>
    Task<TransactionRecord> PresumeAbortAsync(string transactionId, string reason, CancellationToken cancellationToken);

    /// <summary>The owner of a stored transaction: its instance id and advertised address (may be empty); null when unknown.</summary>
    Task<TransactionOwner?> GetOwnerAsync(string transactionId, CancellationToken cancellationToken);
}

/// <summary>Which instance owns a transaction, and whether its lease is live (by the store's clock).</summary>
/// <param name="InstanceId">The owner's instance id.</param>
/// <param name="Address">The owner's advertised address; empty when it advertised none.</param>
/// <param name="LeaseLive">False when the owner's lease has expired: the transaction is about to be claimed.</param>
public sealed record TransactionOwner(string InstanceId, string Address, bool LeaseLive);

/// <summary>
/// A conditional write of a <see cref="IClusteredTransactionLog"/> found that this instance no longer owns the record
/// or its lease had expired: nothing was written. The instance must stop deciding (the host ends the process).
/// </summary>
public sealed class OwnershipLostException(string transactionId, string message) : Exception(message)
{
    /// <summary>The transaction whose write was refused.</summary>
    public string TransactionId { get; } = transactionId;
}
