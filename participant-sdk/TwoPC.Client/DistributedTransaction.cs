using Google.Protobuf;
using Grpc.Core;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Client;

/// <summary>A two-phase transaction begun (or attached) through <see cref="TwoPcClient"/>.</summary>
public sealed class DistributedTransaction
{
    private readonly TwoPcClient _client;
    private int _enlisted;

    internal DistributedTransaction(TwoPcClient client, string id, DateTimeOffset? deadline, int enlisted = 0)
    {
        _client = client;
        _enlisted = enlisted;
        Id = id;
        Deadline = deadline;
    }

    /// <summary>The coordinator's transaction id.</summary>
    public string Id { get; }

    /// <summary>When the coordinator aborts the transaction if still undecided; null when unknown.</summary>
    public DateTimeOffset? Deadline { get; }

    /// <summary>The ambient context for this transaction (what propagation sends downstream).</summary>
    public TwoPcTransactionContext Context => new(Id, _client.CoordinatorAddress);

    /// <summary>Makes this transaction <see cref="TwoPcTransactionContext.Current"/> until the scope is disposed.</summary>
    public IDisposable EnterScope() => TwoPcTransactionContext.Enter(Context);

    /// <summary>Adds a branch: <paramref name="resource"/> at <paramref name="participant"/> will get <paramref name="payload"/> in Prepare.</summary>
    /// <returns>The branch id.</returns>
    public Task<int> EnlistAsync(Uri participant, string resource, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        EnlistAsync(participant, resource, payload, branchKey: null, cancellationToken);

    /// <summary>Adds a branch; a retry with the same <paramref name="branchKey"/> returns the same branch.</summary>
    /// <exception cref="TransactionRetryLaterException">The coordinator could not be reached; retry with a branch key.</exception>
    /// <exception cref="TransactionAbortedException">The coordinator has no such transaction (it aborted).</exception>
    public async Task<int> EnlistAsync(Uri participant, string resource, ReadOnlyMemory<byte> payload, string? branchKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(participant);
        ArgumentException.ThrowIfNullOrWhiteSpace(resource);
        var request = new P.EnlistRequest
        {
            TransactionId = Id,
            ParticipantAddress = participant.ToString(),
            Resource = resource,
            Payload = ByteString.CopyFrom(payload.Span),
            BranchKey = branchKey ?? "",
        };
        var response = await _client.CallAsync(c => c.EnlistAsync(request, _client.Call(_client.Options.CallTimeout, cancellationToken)),
            CoordinatorCall.Enlist, Id).ConfigureAwait(false);
        Interlocked.Increment(ref _enlisted);
        return response.BranchId;
    }

    /// <summary>
    /// Runs two-phase commit. Returns Committed or Aborted (with the reason). With
    /// <paramref name="waitForCompletion"/> the answer comes after every branch acknowledged phase 2.
    /// </summary>
    /// <exception cref="TransactionInDoubtException">The reply was lost (timeout, connection loss): the outcome is unknown.</exception>
    /// <exception cref="TransactionAbortedException">The coordinator had no record of the transaction (presumed abort;
    /// only for transactions this object enlisted two or more branches in — with one branch, see below).</exception>
    /// <exception cref="TransactionInDoubtException">Also: no record of a single-branch transaction, which may have
    /// committed in one phase at its participant before the coordinator crashed.</exception>
    public async Task<TransactionOutcome> CommitAsync(bool waitForCompletion = false, CancellationToken cancellationToken = default)
    {
        var request = new P.CommitRequest { TransactionId = Id, WaitForCompletion = waitForCompletion };
        try
        {
            var response = await _client.CallAsync(c => c.CommitAsync(request, _client.Call(_client.Options.CompletionTimeout, cancellationToken)),
                CoordinatorCall.Commit, Id).ConfigureAwait(false);
            return ProtoMapping.ToOutcome(response.Outcome, response.Reason, response.State);
        }
        catch (TransactionAbortedException ex) when (ex.InnerException is RpcException { StatusCode: StatusCode.NotFound } && Volatile.Read(ref _enlisted) < 2)
        {
            // With one branch the coordinator may have handed the decision to the participant (one-phase commit) and
            // then lost its memory in a crash: "no record" does not prove abort here; only the participant knows.
            throw new TransactionInDoubtException(Id, "the coordinator has no record of this single-branch transaction; it may have committed in one phase at the participant. " + ex.Message, ex);
        }
    }

    /// <summary>Aborts the transaction if it is still undecided.</summary>
    /// <returns>Aborted; also when the coordinator has no record of a transaction this object enlisted two or more
    /// branches in (presumed abort).</returns>
    /// <exception cref="InvalidOperationException">It is already committed.</exception>
    /// <exception cref="TransactionRetryLaterException">The coordinator could not be reached.</exception>
    /// <exception cref="TransactionInDoubtException">No record of a transaction with fewer than two known branches:
    /// with one branch, the coordinator may have handed the decision to the participant (one-phase commit), which may
    /// have committed before the coordinator lost its memory; only the participant knows.</exception>
    public async Task<TransactionOutcome> AbortAsync(string? reason = null, CancellationToken cancellationToken = default)
    {
        var request = new P.AbortRequest { TransactionId = Id, Reason = reason ?? "" };
        try
        {
            var response = await _client.CallAsync(c => c.AbortAsync(request, _client.Call(_client.Options.CallTimeout, cancellationToken)),
                CoordinatorCall.Abort, Id).ConfigureAwait(false);
            return ProtoMapping.ToOutcome(response.Outcome, reason ?? "", response.State);
        }
        catch (TransactionRetryLaterException ex) when (ex.InnerException is RpcException { StatusCode: StatusCode.NotFound } && Volatile.Read(ref _enlisted) < 2)
        {
            throw new TransactionInDoubtException(Id, "the coordinator has no record of this transaction, which has fewer than two known branches; it may have committed in one phase at the participant. " + ex.Message, ex);
        }
        catch (TransactionRetryLaterException ex) when (ex.InnerException is RpcException { StatusCode: StatusCode.NotFound })
        {
            return new TransactionOutcome(TransactionOutcomeKind.Aborted, "unknown to the coordinator (presumed abort)", TransactionState.Aborted);
        }
    }
}
