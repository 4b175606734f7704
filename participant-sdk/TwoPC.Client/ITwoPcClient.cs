namespace TwoPC.Client;

/// <summary>
/// Client of the TwoPC coordinator: begins, attaches to and reads transactions, runs a delegate as one transaction,
/// and defines sagas. Implemented by <see cref="TwoPcClient"/>; depend on this interface to substitute it in tests.
/// Every failure is a <see cref="TwoPcTransactionException"/> (see there for what each kind means).
/// </summary>
public interface ITwoPcClient
{
    /// <summary>
    /// The first coordinator instance this client tries (new transactions, <see cref="Attach"/> and reads start
    /// there); <see cref="TwoPcClient.CoordinatorAddresses"/> lists every configured instance.
    /// </summary>
    Uri CoordinatorAddress { get; }

    /// <summary>
    /// Begins a two-phase transaction. <paramref name="timeout"/> bounds how long it may stay undecided (null = the
    /// coordinator's default); a retry with the same <paramref name="idempotencyKey"/> returns the same transaction.
    /// </summary>
    /// <exception cref="TwoPcInvalidRequestException">The key is longer than 128 characters, or the coordinator refused the timeout.</exception>
    /// <exception cref="TransactionRetryLaterException">No coordinator instance could be reached (with several instances, each was tried:
    /// after a lost reply only when <paramref name="idempotencyKey"/> is set, else only when the request provably reached none).</exception>
    Task<DistributedTransaction> BeginAsync(TimeSpan? timeout = null, string? idempotencyKey = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Begins a 2PC transaction with its branches in one call (then only <see cref="DistributedTransaction.CommitAsync"/>
    /// is needed). The coordinator validates every branch as Enlist does; if one is invalid nothing is created.
    /// </summary>
    /// <exception cref="TwoPcInvalidRequestException">A branch is invalid (the field is named, e.g. <c>branches[1].resource</c>).</exception>
    /// <exception cref="TransactionRetryLaterException">The coordinator could not be reached.</exception>
    Task<DistributedTransaction> BeginAsync(IReadOnlyList<Enlistment> branches, TimeSpan? timeout = null, string? idempotencyKey = null, CancellationToken cancellationToken = default);

    /// <summary>Returns a handle on an existing transaction (for example one received from another service).</summary>
    /// <exception cref="TwoPcInvalidRequestException">The id is blank or longer than 200 characters.</exception>
    DistributedTransaction Attach(string transactionId);

    /// <summary>Reads the coordinator's record of a transaction (2PC or saga).</summary>
    /// <exception cref="TransactionNotFoundException">The coordinator has no record of it.</exception>
    /// <exception cref="TwoPcInvalidRequestException">The id is blank, too long, or not one of the coordinator's ids.</exception>
    /// <exception cref="TransactionRetryLaterException">The coordinator could not be reached.</exception>
    Task<TransactionStatus> GetTransactionAsync(string transactionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs <paramref name="work"/> as one two-phase transaction: begins it, makes it the ambient transaction
    /// (<see cref="TwoPcTransactionContext.Current"/>) while the delegate runs, commits when the delegate returns and
    /// aborts (best effort) when it throws, rethrowing the delegate's exception.
    /// </summary>
    /// <returns>The outcome: Committed, or Aborted with the reason (a branch voted no).</returns>
    /// <exception cref="TransactionInDoubtException">The commit's reply was lost; the transaction is not aborted.</exception>
    /// <exception cref="TransactionAbortedException">The transaction aborted before Commit (its deadline passed).</exception>
    Task<TransactionOutcome> RunInTransactionAsync(Func<DistributedTransaction, CancellationToken, Task> work, TransactionRunOptions? options = null,
        CancellationToken cancellationToken = default);

    /// <summary>As <see cref="RunInTransactionAsync"/>, for a delegate that returns a value.</summary>
    /// <returns>The delegate's value and the transaction's outcome.</returns>
    Task<TransactionResult<T>> RunInTransactionAsync<T>(Func<DistributedTransaction, CancellationToken, Task<T>> work, TransactionRunOptions? options = null,
        CancellationToken cancellationToken = default);

    /// <summary>Starts defining a saga; run it with <see cref="SagaBuilder.RunAsync"/> or start it with <see cref="SagaBuilder.StartAsync"/>.</summary>
    SagaBuilder Saga();

    /// <summary>
    /// Waits for the saga <paramref name="transactionId"/> (for example one started with <see cref="SagaBuilder.StartAsync"/>)
    /// to end: completed, compensated or parked as needing attention. Polls the coordinator every
    /// <paramref name="pollInterval"/> (null = 200 ms); cancel <paramref name="cancellationToken"/> to stop waiting.
    /// </summary>
    /// <exception cref="TransactionNotFoundException">The coordinator has no record of it.</exception>
    /// <exception cref="TransactionConflictException">The transaction is not a saga.</exception>
    /// <exception cref="TwoPcInvalidRequestException">The id is invalid, or <paramref name="pollInterval"/> is not positive.</exception>
    Task<SagaResult> WaitForSagaAsync(string transactionId, TimeSpan? pollInterval = null, CancellationToken cancellationToken = default);
}
