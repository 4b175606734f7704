using Grpc.Core;
using Microsoft.Extensions.Options;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Client;

/// <summary>
/// Client of the TwoPC coordinator (see <see cref="ITwoPcClient"/>). Holds one long-lived gRPC channel per coordinator
/// instance (<see cref="TwoPcClientOptions.CoordinatorAddresses"/>) and fails over between them; create one per
/// coordinator cluster and share it (it is thread-safe).
/// </summary>
public sealed class TwoPcClient : ITwoPcClient, IDisposable
{
    private static readonly TimeSpan DefaultSagaPollInterval = TimeSpan.FromMilliseconds(200);
    private readonly CoordinatorInstances _instances;
    private readonly TimeProvider _time;

    /// <summary>Creates the client and its channels; call deadlines come from the system clock.</summary>
    /// <exception cref="OptionsValidationException">An option is invalid (the message names it).</exception>
    public TwoPcClient(TwoPcClientOptions options)
        : this(options, TimeProvider.System)
    {
    }

    /// <summary>Creates the client and its channels; call deadlines come from <paramref name="timeProvider"/>.</summary>
    /// <exception cref="OptionsValidationException">An option is invalid (the message names it).</exception>
    public TwoPcClient(TwoPcClientOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var validation = TwoPcClientOptionsValidator.Instance.Validate(Microsoft.Extensions.Options.Options.DefaultName, options);
        if (validation.Failed) throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(TwoPcClientOptions), validation.Failures);
        _time = timeProvider;
        Options = options;
        _instances = new CoordinatorInstances(options.AllCoordinatorAddresses(), options.ConfigureChannel, timeProvider);
        CoordinatorAddress = CoordinatorAddresses[0];
    }

    /// <inheritdoc />
    public Uri CoordinatorAddress { get; }

    /// <summary>
    /// Every coordinator instance this client knows from its options, in the order they are tried
    /// (<see cref="TwoPcClientOptions.CoordinatorAddress"/> first, then <see cref="TwoPcClientOptions.CoordinatorAddresses"/>).
    /// </summary>
    public IReadOnlyList<Uri> CoordinatorAddresses => _instances.Addresses;

    internal TwoPcClientOptions Options { get; }

    /// <inheritdoc />
    public async Task<DistributedTransaction> BeginAsync(TimeSpan? timeout = null, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        var request = new P.BeginRequest
        {
            Mode = P.TransactionMode.TwoPhase,
            IdempotencyKey = ClientValidation.OptionalKey(idempotencyKey, "idempotency_key"),
            Timeout = ProtoMapping.Duration(timeout),
        };
        var (response, at) = await BeginAtFirstAnsweringAsync(request, cancellationToken).ConfigureAwait(false);
        return new DistributedTransaction(this, response.TransactionId, at, ProtoMapping.Time(response.Deadline));
    }

    /// <inheritdoc />
    public async Task<DistributedTransaction> BeginAsync(IReadOnlyList<Enlistment> branches, TimeSpan? timeout = null, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(branches);
        var request = new P.BeginRequest
        {
            Mode = P.TransactionMode.TwoPhase,
            IdempotencyKey = ClientValidation.OptionalKey(idempotencyKey, "idempotency_key"),
            Timeout = ProtoMapping.Duration(timeout),
        };
        for (var i = 0; i < branches.Count; i++)
        {
            var b = branches[i];
            ArgumentNullException.ThrowIfNull(b);
            var at = $"branches[{i}].";
            request.Branches.Add(new P.EnlistRequest
            {
                ParticipantAddress = ClientValidation.Participant(b.Participant, at + "participant_address"),
                Resource = ClientValidation.Name(b.Resource, at + "resource"),
                Payload = Google.Protobuf.ByteString.CopyFrom(b.Payload.Span),
                BranchKey = ClientValidation.OptionalKey(b.BranchKey, at + "branch_key"),
            });
        }

        var (response, instance) = await BeginAtFirstAnsweringAsync(request, cancellationToken).ConfigureAwait(false);
        return new DistributedTransaction(this, response.TransactionId, instance, ProtoMapping.Time(response.Deadline), branches.Count);
    }

    /// <inheritdoc />
    public DistributedTransaction Attach(string transactionId) =>
        new(this, ClientValidation.Name(transactionId, "transaction_id"), CoordinatorAddress, null);

    /// <inheritdoc />
    public async Task<TransactionStatus> GetTransactionAsync(string transactionId, CancellationToken cancellationToken = default) =>
        (await GetTransactionAtAsync(transactionId, CoordinatorAddress, cancellationToken).ConfigureAwait(false)).Response;

    /// <summary>Reads a transaction, asking <paramref name="first"/> first; returns the instance that answered.</summary>
    internal async Task<Answered<TransactionStatus>> GetTransactionAtAsync(string transactionId, Uri first, CancellationToken cancellationToken)
    {
        var request = new P.GetTransactionRequest { TransactionId = ClientValidation.Name(transactionId, "transaction_id") };
        var (info, at) = await CallAsync(first, (c, o) => c.GetTransactionAsync(request, o), Options.CallTimeout, CoordinatorCall.GetTransaction,
            transactionId, new Failover(RetryAmbiguous: true, RetryAfterDeadline: true), cancellationToken).ConfigureAwait(false);
        return new Answered<TransactionStatus>(ProtoMapping.ToStatus(info, Options.Serializer), at);
    }

    /// <inheritdoc />
    public async Task<TransactionOutcome> RunInTransactionAsync(Func<DistributedTransaction, CancellationToken, Task> work, TransactionRunOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        var result = await RunInTransactionAsync(async (tx, ct) =>
        {
            await work(tx, ct).ConfigureAwait(false);
            return true;
        }, options, cancellationToken).ConfigureAwait(false);
        return result.Outcome;
    }

    /// <inheritdoc />
    public async Task<TransactionResult<T>> RunInTransactionAsync<T>(Func<DistributedTransaction, CancellationToken, Task<T>> work, TransactionRunOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        options ??= new TransactionRunOptions();
        var tx = await BeginAsync(options.Timeout, options.IdempotencyKey, cancellationToken).ConfigureAwait(false);
        T value;
        try
        {
            using (tx.EnterScope())
            {
                value = await work(tx, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            // Commit was never called, so nothing can have committed; if this abort fails the coordinator's
            // deadline aborts the transaction. The caller sees the delegate's exception.
            await tx.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var outcome = await tx.CommitAsync(options.WaitForCompletion, cancellationToken).ConfigureAwait(false);
        return new TransactionResult<T>(value, outcome);
    }

    /// <inheritdoc />
    public SagaBuilder Saga() => new(this);

    /// <inheritdoc />
    public async Task<SagaResult> WaitForSagaAsync(string transactionId, TimeSpan? pollInterval = null, CancellationToken cancellationToken = default)
    {
        ClientValidation.Name(transactionId, "transaction_id");
        var interval = pollInterval ?? DefaultSagaPollInterval;
        if (interval <= TimeSpan.Zero) throw ClientValidation.Invalid("poll_interval", $"is {interval}; it must be positive");
        // Ask the instance that answered last first: it owns the saga (or answers for it) until it stops answering.
        var at = CoordinatorAddress;
        while (true)
        {
            try
            {
                var (status, answeredBy) = await GetTransactionAtAsync(transactionId, at, cancellationToken).ConfigureAwait(false);
                at = answeredBy;
                var outcome = status.Mode == TransactionMode.Saga ? ProtoMapping.SagaOutcomeOf(status.State) : null;
                if (outcome is null)
                    throw new TransactionConflictException(transactionId, $"transaction {transactionId} is a {status.Mode} transaction in state {status.State}, not a saga");
                if (outcome != SagaOutcome.Running) return new SagaResult(status.TransactionId, outcome.Value, status.Reason, status.Steps);
            }
            catch (TransactionRetryLaterException)
            {
                // No instance could answer (a restart, a takeover under way); the saga goes on, so keep waiting.
                at = CoordinatorAddress;
            }

            await Task.Delay(interval, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends one call with failover (see <see cref="CoordinatorInstances"/>), starting at <paramref name="first"/>.</summary>
    internal Task<Answered<T>> CallAsync<T>(Uri first, Func<P.Coordinator.CoordinatorClient, CallOptions, AsyncUnaryCall<T>> call, TimeSpan timeout,
        CoordinatorCall kind, string? transactionId, Failover failover, CancellationToken cancellationToken) =>
        _instances.CallAsync(first, call, timeout, kind, transactionId, failover, cancellationToken);

    /// <summary>
    /// Begins at the first configured instance that answers. A keyed Begin is re-sent to the next instance after any
    /// transport failure (the shared log returns the same transaction for the key); an unkeyed one only when it
    /// provably reached no instance, so a lost reply never leaves a second transaction behind.
    /// </summary>
    private Task<Answered<P.BeginResponse>> BeginAtFirstAnsweringAsync(P.BeginRequest request, CancellationToken cancellationToken)
    {
        var keyed = request.IdempotencyKey.Length > 0;
        return CallAsync(CoordinatorAddress, (c, o) => c.BeginAsync(request, o), Options.CallTimeout, CoordinatorCall.Begin, null,
            new Failover(RetryAmbiguous: keyed, RetryAfterDeadline: keyed), cancellationToken);
    }

    /// <summary>Closes the channels.</summary>
    public void Dispose() => _instances.Dispose();
}
