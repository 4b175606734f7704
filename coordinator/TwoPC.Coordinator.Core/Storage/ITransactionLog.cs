using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Storage;

/// <summary>How hard a write must be pushed to disk before it counts as done.</summary>
public enum WriteDurability
{
    /// <summary>Applied to the store; reaches the disk with the next forced write or flush. May be lost on a crash.</summary>
    Lazy,

    /// <summary>On stable storage (fsync/fdatasync returned) before the task completes.</summary>
    Forced,
}

/// <summary>
/// The coordinator's decision log.
/// <para><b>Durability contract</b> (every implementation runs <c>TransactionLogContractTests</c>):</para>
/// <list type="number">
/// <item>A <see cref="WriteDurability.Forced"/> save completes only once the record is on stable storage; after a
/// crash, <see cref="GetAsync"/> returns that version or a later one.</item>
/// <item>A <see cref="WriteDurability.Lazy"/> save may be lost on a crash until a later forced save or
/// <see cref="FlushAsync"/> completes; it is never reordered after a later save of the same id.</item>
/// <item>If a save or flush throws, <b>some, none or all</b> of it may be durable (think fsync failing after the
/// write reached the page cache). The caller must not answer from memory, and a successful flush after a failed one
/// proves nothing: after a failed fdatasync Linux marks the unwritten pages clean, so reads still return the record
/// while a later flush succeeds without writing it. The caller must either write the record again with a
/// <see cref="WriteDurability.Forced"/> save that succeeds before acting on it, or stop. (The LiteDB log stops for
/// good after a failed forced write and the host ends the process: fail-stop.)</item>
/// <item>Saves of one id are applied in the order they were issued. Reads see every completed save.</item>
/// <item>A saga parked as <see cref="TransactionState.SagaNeedsAttention"/> is never forgotten: it stays listed and
/// is loaded as unfinished until a later save ends it.</item>
/// <item><see cref="LogId"/> is created once with the log, is durable before the log is used, and never changes:
/// reopening the same store gives the same identity, and two stores never share one. "No record" means presumed
/// abort only in the log that would hold the commit; a participant proves which log that is with this identity.</item>
/// </list>
/// </summary>
public interface ITransactionLog
{
    /// <summary>
    /// This log's identity (an opaque string, e.g. a GUID), created with the log and never changed. Sent in every
    /// Prepare and checked on in-doubt queries, so that a coordinator on another or an empty log cannot answer
    /// "presumed abort" for a transaction this log committed.
    /// </summary>
    string LogId { get; }

    /// <summary>Inserts or replaces the record with <paramref name="record"/>'s id.</summary>
    Task SaveAsync(TransactionRecord record, WriteDurability durability, CancellationToken cancellationToken);

    /// <summary>Makes every completed save durable.</summary>
    Task FlushAsync(CancellationToken cancellationToken);

    /// <summary>The stored record, or null when none exists.</summary>
    Task<TransactionRecord?> GetAsync(string transactionId, CancellationToken cancellationToken);

    /// <summary>
    /// The stored record created with <paramref name="idempotencyKey"/>, or null. Keys survive restarts for as long
    /// as their record does, so a client retrying after a coordinator crash finds what it created.
    /// </summary>
    Task<TransactionRecord?> FindByIdempotencyKeyAsync(string idempotencyKey, CancellationToken cancellationToken);

    /// <summary>Every record not in a finished state (see <see cref="TransactionStateExtensions.IsFinished"/>).</summary>
    Task<IReadOnlyList<TransactionRecord>> LoadUnfinishedAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Records in one of <paramref name="states"/> (all when empty), ordered by id descending, starting after
    /// <paramref name="afterId"/> (exclusive) when given.
    /// </summary>
    Task<IReadOnlyList<TransactionRecord>> ListAsync(IReadOnlyCollection<TransactionState> states, string? afterId, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes finished records (see <see cref="TransactionStateExtensions.IsFinished"/>) completed before
    /// <paramref name="completedBefore"/>; returns how many. Never deletes a saga parked as
    /// <see cref="TransactionState.SagaNeedsAttention"/>, however old: it stays listed and is loaded by
    /// <see cref="LoadUnfinishedAsync"/> until it ends compensated.
    /// </summary>
    Task<int> ForgetFinishedAsync(DateTimeOffset completedBefore, int limit, CancellationToken cancellationToken);
}
