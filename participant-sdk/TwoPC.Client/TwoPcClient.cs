using Grpc.Core;
using Grpc.Net.Client;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Client;

/// <summary>
/// Client of the TwoPC coordinator: begins, enlists, commits and aborts transactions, runs sagas and reads their
/// state. Holds one long-lived gRPC channel; create one per coordinator and share it (it is thread-safe).
/// </summary>
public sealed class TwoPcClient : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly TimeProvider _time;

    /// <summary>Creates the client and its channel; call deadlines come from the system clock.</summary>
    public TwoPcClient(TwoPcClientOptions options)
        : this(options, TimeProvider.System)
    {
    }

    /// <summary>Creates the client and its channel; call deadlines come from <paramref name="timeProvider"/>.</summary>
    public TwoPcClient(TwoPcClientOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _time = timeProvider;
        CoordinatorAddress = options.CoordinatorAddress is { IsAbsoluteUri: true } address
            ? address
            : throw new ArgumentException("TwoPcClientOptions.CoordinatorAddress must be an absolute URI.", nameof(options));
        Options = options;
        _channel = GrpcChannel.ForAddress(CoordinatorAddress);
        Coordinator = new P.Coordinator.CoordinatorClient(_channel);
    }

    /// <summary>The coordinator this client talks to.</summary>
    public Uri CoordinatorAddress { get; }

    internal TwoPcClientOptions Options { get; }

    internal P.Coordinator.CoordinatorClient Coordinator { get; }

    /// <summary>
    /// Begins a two-phase transaction. <paramref name="timeout"/> bounds how long it may stay undecided (null = the
    /// coordinator's default); a retry with the same <paramref name="idempotencyKey"/> returns the same transaction.
    /// </summary>
    /// <exception cref="TransactionRetryLaterException">The coordinator could not be reached.</exception>
    public async Task<DistributedTransaction> BeginAsync(TimeSpan? timeout = null, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        var request = new P.BeginRequest { Mode = P.TransactionMode.TwoPhase, IdempotencyKey = idempotencyKey ?? "", Timeout = ProtoMapping.Duration(timeout) };
        var response = await CallAsync(c => c.BeginAsync(request, Call(Options.CallTimeout, cancellationToken)), CoordinatorCall.Begin, null).ConfigureAwait(false);
        return new DistributedTransaction(this, response.TransactionId, ProtoMapping.Time(response.Deadline));
    }

    /// <summary>
    /// Begins a 2PC transaction with its branches in one call (then only <see cref="DistributedTransaction.CommitAsync"/>
    /// is needed). The coordinator validates every branch as Enlist does; if one is invalid nothing is created.
    /// <see cref="DistributedTransaction.EnlistAsync(Uri, string, ReadOnlyMemory{byte}, CancellationToken)"/> can add more.
    /// </summary>
    public async Task<DistributedTransaction> BeginAsync(IReadOnlyList<Enlistment> branches, TimeSpan? timeout = null, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(branches);
        var request = new P.BeginRequest { Mode = P.TransactionMode.TwoPhase, IdempotencyKey = idempotencyKey ?? "", Timeout = ProtoMapping.Duration(timeout) };
        foreach (var b in branches)
        {
            ArgumentNullException.ThrowIfNull(b);
            ArgumentNullException.ThrowIfNull(b.Participant);
            ArgumentException.ThrowIfNullOrWhiteSpace(b.Resource);
            request.Branches.Add(new P.EnlistRequest
            {
                ParticipantAddress = b.Participant.ToString(),
                Resource = b.Resource,
                Payload = Google.Protobuf.ByteString.CopyFrom(b.Payload.Span),
                BranchKey = b.BranchKey ?? "",
            });
        }

        var response = await CallAsync(c => c.BeginAsync(request, Call(Options.CallTimeout, cancellationToken)), CoordinatorCall.Begin, null).ConfigureAwait(false);
        return new DistributedTransaction(this, response.TransactionId, ProtoMapping.Time(response.Deadline), branches.Count);
    }

    /// <summary>Returns a handle on an existing transaction (for example one received from another service).</summary>
    public DistributedTransaction Attach(string transactionId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(transactionId);
        return new DistributedTransaction(this, transactionId, null);
    }

    /// <summary>Reads the coordinator's record of a transaction.</summary>
    /// <exception cref="KeyNotFoundException">The coordinator has no record of it.</exception>
    public async Task<TransactionStatus> GetTransactionAsync(string transactionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(transactionId);
        var request = new P.GetTransactionRequest { TransactionId = transactionId };
        var info = await CallAsync(c => c.GetTransactionAsync(request, Call(Options.CallTimeout, cancellationToken)), CoordinatorCall.GetTransaction, transactionId).ConfigureAwait(false);
        return ProtoMapping.ToStatus(info);
    }

    /// <summary>Starts defining a saga.</summary>
    public SagaBuilder Saga() => new(this);

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
