using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Client;

/// <summary>
/// Defines a saga step by step and runs it on the coordinator. Serial steps get increasing group numbers; the steps
/// of one <see cref="Parallel"/> share a group.
/// </summary>
public sealed class SagaBuilder
{
    private readonly TwoPcClient _client;
    private readonly P.RunSagaRequest _request = new() { Wait = true };
    private int _group;

    internal SagaBuilder(TwoPcClient client) => _client = client;

    /// <summary>Adds a step that runs after every step added before it.</summary>
    public SagaBuilder Step(string name, Uri participant, string handler, ReadOnlyMemory<byte> action,
        ReadOnlyMemory<byte>? compensation = null, Action<SagaStepOptions>? configure = null)
    {
        AddStep(++_group, name, participant, handler, action, compensation, configure);
        return this;
    }

    /// <summary>Adds a group of steps that run in parallel, after every step added before.</summary>
    public SagaBuilder Parallel(Action<SagaParallelBuilder> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        var group = new SagaParallelBuilder(this, ++_group);
        steps(group);
        if (group.Count == 0) throw new ArgumentException("A parallel group needs at least one step.", nameof(steps));
        return this;
    }

    /// <summary>Makes this saga a change request to the saga <paramref name="transactionId"/>.</summary>
    public SagaBuilder Amends(string transactionId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(transactionId);
        _request.AmendsTransactionId = transactionId;
        return this;
    }

    /// <summary>A retried run with the same key returns the same saga instead of starting another.</summary>
    public SagaBuilder IdempotencyKey(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        _request.IdempotencyKey = key;
        return this;
    }

    /// <summary>Runs the saga to its end on the coordinator.</summary>
    /// <exception cref="TransactionInDoubtException">The reply was lost; the saga may be running. Retry with the same idempotency key.</exception>
    public async Task<SagaResult> RunAsync(CancellationToken cancellationToken = default)
    {
        if (_request.Steps.Count == 0) throw new InvalidOperationException("A saga needs at least one step.");
        var request = _request.Clone();
        var response = await _client.CallAsync(c => c.RunSagaAsync(request, _client.Call(_client.Options.CompletionTimeout, cancellationToken)),
            CoordinatorCall.RunSaga, null).ConfigureAwait(false);
        return new SagaResult(response.TransactionId, (SagaOutcome)(int)response.Outcome, response.Reason,
            response.Steps.Select(ProtoMapping.ToReport).ToList());
    }

    internal P.RunSagaRequest Build() => _request.Clone();

    internal void AddStep(int group, string name, Uri participant, string handler, ReadOnlyMemory<byte> action,
        ReadOnlyMemory<byte>? compensation, Action<SagaStepOptions>? configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(participant);
        ArgumentException.ThrowIfNullOrWhiteSpace(handler);
        if (_request.Steps.Any(s => s.Name == name)) throw new ArgumentException($"Step '{name}' is already defined.", nameof(name));
        var options = new SagaStepOptions();
        configure?.Invoke(options);
        var step = new P.SagaStep
        {
            Name = name,
            Group = group,
            Optional = options.IsOptional,
            ParticipantAddress = participant.ToString(),
            Resource = handler,
            ActionPayload = ByteString.CopyFrom(action.Span),
            Retry = new P.RetryPolicy
            {
                MaxAttempts = options.MaxAttempts,
                InitialBackoff = Duration.FromTimeSpan(options.InitialBackoff),
                MaxBackoff = Duration.FromTimeSpan(options.MaxBackoff),
            },
            Timeout = Duration.FromTimeSpan(options.AttemptTimeout),
        };
        if (compensation is { } c) step.CompensationPayload = ByteString.CopyFrom(c.Span);
        _request.Steps.Add(step);
    }
}
