using Google.Protobuf;
using Grpc.Core;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Client;

/// <summary>
/// A two-phase transaction begun (or attached) through <see cref="ITwoPcClient"/>. Dispose it with
/// <c>await using</c>: a transaction that was neither committed nor aborted is then aborted (best effort). Once
/// <see cref="CommitAsync"/> has been called, disposing never aborts, whatever Commit answered: an in-doubt commit
/// stays for the coordinator to finish.
/// </summary>
public sealed class DistributedTransaction : IAsyncDisposable
{
    private const int Open = 0;
    private const int CommitCalled = 1;
    private const int Aborted = 2;
    private const int Disposed = 3;

    private static readonly Failover Idempotent = new(RetryAmbiguous: true, RetryAfterDeadline: true);

    private readonly TwoPcClient _client;
    private Uri _instance;
    private int _enlisted;
    private int _phase;

    internal DistributedTransaction(TwoPcClient client, string id, Uri instance, DateTimeOffset? deadline, int enlisted = 0)
    {
        _client = client;
        _instance = instance;
        _enlisted = enlisted;
        Id = id;
        Deadline = deadline;
    }

    /// <summary>The coordinator's transaction id.</summary>
    public string Id { get; }

    /// <summary>When the coordinator aborts the transaction if still undecided; null when unknown.</summary>
    public DateTimeOffset? Deadline { get; }

    /// <summary>
    /// The coordinator instance this transaction's calls go to first: the one it was begun at (or, for
    /// <see cref="ITwoPcClient.Attach"/>, the first configured address), then the owner an instance redirected a
    /// call to, or the instance that last answered after a failover.
    /// </summary>
    public Uri CoordinatorAddress => Volatile.Read(ref _instance);

    /// <summary>The ambient context for this transaction (what propagation sends downstream), naming <see cref="CoordinatorAddress"/>.</summary>
    public TwoPcTransactionContext Context => new(Id, CoordinatorAddress);

    /// <summary>Makes this transaction <see cref="TwoPcTransactionContext.Current"/> until the scope is disposed.</summary>
    public IDisposable EnterScope() => TwoPcTransactionContext.Enter(Context);

    /// <summary>Adds a branch: <paramref name="resource"/> at <paramref name="participant"/> will get <paramref name="payload"/> in Prepare.</summary>
    /// <returns>The branch id.</returns>
    /// <exception cref="TwoPcInvalidRequestException">The address or resource name is invalid, or the coordinator refused a value.</exception>
    /// <exception cref="TransactionConflictException">The transaction no longer accepts branches (Commit started, or it is decided).</exception>
    /// <exception cref="TransactionRetryLaterException">The coordinator could not be reached; retry with a branch key.</exception>
    /// <exception cref="TransactionAbortedException">The coordinator has no such transaction (it aborted).</exception>
    public Task<int> EnlistAsync(Uri participant, string resource, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        EnlistAsync(participant, resource, payload, branchKey: null, cancellationToken);

    /// <summary>Adds a branch; a retry with the same <paramref name="branchKey"/> (at most 128 characters) returns the same branch.</summary>
    /// <returns>The branch id.</returns>
    /// <exception cref="TwoPcInvalidRequestException">The address, resource name or key is invalid, or the coordinator refused a value.</exception>
    /// <exception cref="TransactionConflictException">The transaction no longer accepts branches (Commit started, or it is decided).</exception>
    /// <exception cref="TransactionRetryLaterException">The coordinator could not be reached; retry with a branch key.</exception>
    /// <exception cref="TransactionAbortedException">The coordinator has no such transaction (it aborted).</exception>
    public async Task<int> EnlistAsync(Uri participant, string resource, ReadOnlyMemory<byte> payload, string? branchKey, CancellationToken cancellationToken = default)
    {
        var request = new P.EnlistRequest
        {
            TransactionId = Id,
            ParticipantAddress = ClientValidation.Participant(participant, "participant_address"),
            Resource = ClientValidation.Name(resource, "resource"),
            Payload = ByteString.CopyFrom(payload.Span),
            // Without the caller's key, one made for this call: re-sent to another instance after a lost reply, the
            // Enlist then returns the branch it may already have added instead of adding a second one.
            BranchKey = branchKey is null ? GeneratedBranchKey() : ClientValidation.OptionalKey(branchKey, "branch_key"),
        };
        var response = await SendAsync((c, o) => c.EnlistAsync(request, o), _client.Options.CallTimeout, CoordinatorCall.Enlist, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _enlisted);
        return response.BranchId;
    }

    /// <summary>
    /// Adds a branch whose payload is <paramref name="payload"/> written by the client's serializer
    /// (<see cref="TwoPcClientOptions.Serializer"/>; byte arrays and memory are sent as they are); the resource reads
    /// it with the same format.
    /// </summary>
    /// <returns>The branch id.</returns>
    /// <exception cref="Serialization.TwoPcSerializationException">The payload cannot be written.</exception>
    /// <exception cref="TwoPcInvalidRequestException">The address or resource name is invalid, or the coordinator refused a value.</exception>
    /// <exception cref="TransactionConflictException">The transaction no longer accepts branches (Commit started, or it is decided).</exception>
    /// <exception cref="TransactionRetryLaterException">The coordinator could not be reached; retry with a branch key.</exception>
    /// <exception cref="TransactionAbortedException">The coordinator has no such transaction (it aborted).</exception>
    public Task<int> EnlistAsync<TPayload>(Uri participant, string resource, TPayload payload, CancellationToken cancellationToken = default) =>
        EnlistAsync(participant, resource, ProtoMapping.Encode(_client.Options.Serializer, payload), branchKey: null, cancellationToken);

    /// <summary>
    /// Adds a branch with a typed payload (as <see cref="EnlistAsync{TPayload}(Uri, string, TPayload, CancellationToken)"/>);
    /// a retry with the same <paramref name="branchKey"/> (at most 128 characters) returns the same branch.
    /// </summary>
    /// <returns>The branch id.</returns>
    /// <exception cref="Serialization.TwoPcSerializationException">The payload cannot be written.</exception>
    /// <exception cref="TwoPcInvalidRequestException">The address, resource name or key is invalid, or the coordinator refused a value.</exception>
    /// <exception cref="TransactionConflictException">The transaction no longer accepts branches (Commit started, or it is decided).</exception>
    /// <exception cref="TransactionRetryLaterException">The coordinator could not be reached; retry with a branch key.</exception>
    /// <exception cref="TransactionAbortedException">The coordinator has no such transaction (it aborted).</exception>
    public Task<int> EnlistAsync<TPayload>(Uri participant, string resource, TPayload payload, string? branchKey, CancellationToken cancellationToken = default) =>
        EnlistAsync(participant, resource, ProtoMapping.Encode(_client.Options.Serializer, payload), branchKey, cancellationToken);

    /// <summary>
    /// Runs two-phase commit. Returns Committed or Aborted (with the reason). With
    /// <paramref name="waitForCompletion"/> the answer comes after every branch acknowledged phase 2.
    /// </summary>
    /// <exception cref="TransactionInDoubtException">The reply was lost (timeout, connection loss): the outcome is unknown.
    /// Also: no record of a single-branch transaction, which may have committed in one phase at its participant
    /// before the coordinator crashed.</exception>
    /// <exception cref="TransactionAbortedException">The transaction aborted before Commit (its deadline passed, or it was
    /// aborted), or the coordinator had no record of it (presumed abort; only for transactions this object enlisted
    /// two or more branches in).</exception>
    /// <exception cref="TransactionConflictException">The transaction cannot be committed in its state (it is a saga).</exception>
    /// <exception cref="TransactionRetryLaterException">No coordinator instance could take the Commit and none can have applied it
    /// (connections refused, instances that are not the owner and name none, "retry later" answers): nothing was decided by this call.</exception>
    public async Task<TransactionOutcome> CommitAsync(bool waitForCompletion = false, CancellationToken cancellationToken = default)
    {
        Interlocked.Exchange(ref _phase, CommitCalled);
        var request = new P.CommitRequest { TransactionId = Id, WaitForCompletion = waitForCompletion };
        try
        {
            // Commit is idempotent at the coordinator, so it is re-sent elsewhere after a lost reply; a Commit whose
            // deadline passed is not (the caller's time is spent, and the outcome is in doubt).
            var response = await SendAsync((c, o) => c.CommitAsync(request, o), _client.Options.CompletionTimeout, CoordinatorCall.Commit, cancellationToken,
                new Failover(RetryAmbiguous: true, RetryAfterDeadline: false)).ConfigureAwait(false);
            return ProtoMapping.ToOutcome(response.Outcome, response.Reason, response.State);
        }
        catch (TransactionAbortedException ex) when (ex.InnerException is RpcException { StatusCode: StatusCode.NotFound } && Volatile.Read(ref _enlisted) < 2)
        {
            // With one branch the coordinator may have handed the decision to the participant (one-phase commit) and
            // then lost its memory in a crash: "no record" does not prove abort here; only the participant knows.
            throw new TransactionInDoubtException(Id, "the coordinator has no record of this single-branch transaction; it may have committed in one phase at the participant. " + ex.Message, ex);
        }
        catch (TransactionConflictException conflict)
        {
            // The coordinator refuses to commit a transaction that aborted before Commit; its record says which.
            if (await RecordedAbortAsync(cancellationToken).ConfigureAwait(false))
                throw new TransactionAbortedException(Id, conflict.Message, conflict);
            throw;
        }
    }

    /// <summary>Aborts the transaction if it is still undecided.</summary>
    /// <returns>Aborted; also when the coordinator has no record of a transaction this object enlisted two or more
    /// branches in (presumed abort).</returns>
    /// <exception cref="TransactionConflictException">It is already committed.</exception>
    /// <exception cref="TransactionRetryLaterException">The coordinator could not be reached.</exception>
    /// <exception cref="TransactionInDoubtException">No record of a transaction with fewer than two known branches:
    /// with one branch, the coordinator may have handed the decision to the participant (one-phase commit), which may
    /// have committed before the coordinator lost its memory; only the participant knows.</exception>
    public async Task<TransactionOutcome> AbortAsync(string? reason = null, CancellationToken cancellationToken = default)
    {
        var outcome = await AbortCoreAsync(reason, cancellationToken).ConfigureAwait(false);
        Interlocked.CompareExchange(ref _phase, Aborted, Open);
        return outcome;
    }

    /// <summary>
    /// Aborts the transaction unless <see cref="CommitAsync"/> or <see cref="AbortAsync"/> was called (best effort:
    /// a failed abort is not reported, and the coordinator's deadline aborts the transaction anyway; this also holds
    /// after the client was disposed). Never aborts after Commit was called, so an in-doubt commit is left for the
    /// coordinator to finish.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.CompareExchange(ref _phase, Disposed, Open) != Open) return;
        try
        {
            await AbortCoreAsync("the transaction was disposed before Commit", CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TwoPcTransactionException or ObjectDisposedException)
        {
            // Best effort by contract (the coordinator unreachable, or the client already disposed): Commit was never
            // called, so nothing of this transaction can commit through this handle, and an undecided transaction
            // aborts at its deadline.
        }
    }

    private async Task<TransactionOutcome> AbortCoreAsync(string? reason, CancellationToken cancellationToken)
    {
        var request = new P.AbortRequest { TransactionId = Id, Reason = reason ?? "" };
        try
        {
            var response = await SendAsync((c, o) => c.AbortAsync(request, o), _client.Options.CallTimeout, CoordinatorCall.Abort, cancellationToken).ConfigureAwait(false);
            return ProtoMapping.ToOutcome(response.Outcome, reason ?? "", response.State);
        }
        catch (TransactionNotFoundException ex) when (Volatile.Read(ref _enlisted) < 2)
        {
            throw new TransactionInDoubtException(Id, "the coordinator has no record of this transaction, which has fewer than two known branches; it may have committed in one phase at the participant. " + ex.Message, ex);
        }
        catch (TransactionNotFoundException)
        {
            return new TransactionOutcome(TransactionOutcomeKind.Aborted, "unknown to the coordinator (presumed abort)", TransactionState.Aborted);
        }
    }

    private async Task<bool> RecordedAbortAsync(CancellationToken cancellationToken)
    {
        try
        {
            var (status, at) = await _client.GetTransactionAtAsync(Id, CoordinatorAddress, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _instance, at);
            return status.Mode == TransactionMode.TwoPhase && status.Outcome == TransactionOutcomeKind.Aborted;
        }
        catch (TwoPcTransactionException)
        {
            // The conflict stands as the coordinator reported it.
            return false;
        }
    }

    /// <summary>Sends one of this transaction's calls, first to <see cref="CoordinatorAddress"/>, and remembers the instance that answered.</summary>
    private async Task<T> SendAsync<T>(Func<P.Coordinator.CoordinatorClient, CallOptions, AsyncUnaryCall<T>> call, TimeSpan timeout, CoordinatorCall kind,
        CancellationToken cancellationToken, Failover? failover = null)
    {
        var (response, at) = await _client.CallAsync(CoordinatorAddress, call, timeout, kind, Id, failover ?? Idempotent, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _instance, at);
        return response;
    }

    private static string GeneratedBranchKey() => "twopc-client-" + Guid.NewGuid().ToString("N");
}
