using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Client;

/// <summary>
/// Client of the TwoPC coordinator (see <see cref="ITwoPcClient"/>). Holds one long-lived gRPC channel; create one
/// per coordinator and share it (it is thread-safe).
/// </summary>
public sealed class TwoPcClient : ITwoPcClient, IDisposable
{
    private static readonly TimeSpan DefaultSagaPollInterval = TimeSpan.FromMilliseconds(200);
    private readonly GrpcChannel _channel;
    private readonly TimeProvider _time;

    /// <summary>Creates the client and its channel; call deadlines come from the system clock.</summary>
    /// <exception cref="OptionsValidationException">An option is invalid (the message names it).</exception>
    public TwoPcClient(TwoPcClientOptions options)
        : this(options, TimeProvider.System)
    {
    }

    /// <summary>Creates the client and its channel; call deadlines come from <paramref name="timeProvider"/>.</summary>
    /// <exception cref="OptionsValidationException">An option is invalid (the message names it).</exception>
    public TwoPcClient(TwoPcClientOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var validation = TwoPcClientOptionsValidator.Instance.Validate(Microsoft.Extensions.Options.Options.DefaultName, options);
        if (validation.Failed) throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(TwoPcClientOptions), validation.Failures);
        _time = timeProvider;
        CoordinatorAddress = options.CoordinatorAddress!;
        Options = options;
        var channelOptions = new GrpcChannelOptions();
        options.ConfigureChannel?.Invoke(channelOptions);
        _channel = GrpcChannel.ForAddress(CoordinatorAddress, channelOptions);
        Coordinator = new P.Coordinator.CoordinatorClient(_channel);
    }

    /// <inheritdoc />
    public Uri CoordinatorAddress { get; }

    internal TwoPcClientOptions Options { get; }

    internal P.Coordinator.CoordinatorClient Coordinator { get; }

    /// <inheritdoc />
    public async Task<DistributedTransaction> BeginAsync(TimeSpan? timeout = null, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        var request = new P.BeginRequest
        {
            Mode = P.TransactionMode.TwoPhase,
            IdempotencyKey = ClientValidation.OptionalKey(idempotencyKey, "idempotency_key"),
            Timeout = ProtoMapping.Duration(timeout),
        };
        var response = await CallAsync(c => c.BeginAsync(request, Call(Options.CallTimeout, cancellationToken)), CoordinatorCall.Begin, null).ConfigureAwait(false);
        return new DistributedTransaction(this, response.TransactionId, ProtoMapping.Time(response.Deadline));
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

        var response = await CallAsync(c => c.BeginAsync(request, Call(Options.CallTimeout, cancellationToken)), CoordinatorCall.Begin, null).ConfigureAwait(false);
        return new DistributedTransaction(this, response.TransactionId, ProtoMapping.Time(response.Deadline), branches.Count);
    }

    /// <inheritdoc />
    public DistributedTransaction Attach(string transactionId) =>
        new(this, ClientValidation.Name(transactionId, "transaction_id"), null);

    /// <inheritdoc />
    public async Task<TransactionStatus> GetTransactionAsync(string transactionId, CancellationToken cancellationToken = default)
    {
        var request = new P.GetTransactionRequest { TransactionId = ClientValidation.Name(transactionId, "transaction_id") };
        var info = await CallAsync(c => c.GetTransactionAsync(request, Call(Options.CallTimeout, cancellationToken)), CoordinatorCall.GetTransaction, transactionId).ConfigureAwait(false);
        return ProtoMapping.ToStatus(info, Options.Serializer);
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
        while (true)
        {
            try
            {
                var status = await GetTransactionAsync(transactionId, cancellationToken).ConfigureAwait(false);
                var outcome = status.Mode == TransactionMode.Saga ? ProtoMapping.SagaOutcomeOf(status.State) : null;
                if (outcome is null)
                    throw new TransactionConflictException(transactionId, $"transaction {transactionId} is a {status.Mode} transaction in state {status.State}, not a saga");
                if (outcome != SagaOutcome.Running) return new SagaResult(status.TransactionId, outcome.Value, status.Reason, status.Steps);
            }
            catch (TransactionRetryLaterException)
            {
                // The coordinator is briefly unreachable (a restart); the saga goes on, so keep waiting.
            }

            await Task.Delay(interval, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    internal CallOptions Call(TimeSpan timeout, CancellationToken cancellationToken) =>
        new(deadline: _time.GetUtcNow().UtcDateTime + timeout, cancellationToken: cancellationToken);

    internal async Task<T> CallAsync<T>(Func<P.Coordinator.CoordinatorClient, AsyncUnaryCall<T>> call, CoordinatorCall kind, string? transactionId)
    {
        try
        {
            return await call(Coordinator).ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw ClientErrors.Map(ex, kind, transactionId);
        }
    }

    /// <summary>Closes the channel.</summary>
    public void Dispose() => _channel.Dispose();
}
