using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Client;

/// <summary>
/// Defines a saga step by step and runs it on the coordinator. Serial steps get increasing group numbers; the steps
/// of one <see cref="Parallel"/> share a group. Each step names the saga step <c>resource</c> that runs it at a
/// participant. Typed payloads go through the client's serializer (<see cref="TwoPcClientOptions.Serializer"/>);
/// the byte-level overloads send the bytes as they are.
/// </summary>
public sealed class SagaBuilder
{
    private readonly TwoPcClient _client;
    private readonly P.RunSagaRequest _request = new();
    private int _group;

    internal SagaBuilder(TwoPcClient client) => _client = client;

    /// <summary>Adds a step that runs after every step added before it.</summary>
    /// <param name="name">The step's name, unique in the saga (at most 200 characters).</param>
    /// <param name="participant">The participant hosting the step.</param>
    /// <param name="resource">The saga step resource inside that participant (at most 200 characters).</param>
    /// <param name="action">Bytes handed to the action.</param>
    /// <param name="compensation">Bytes handed to the compensation; null for a step that cannot be undone (only optional steps).</param>
    /// <param name="configure">Per-step settings.</param>
    /// <exception cref="TwoPcInvalidRequestException">A name, resource or address is invalid, or the name is taken.</exception>
    public SagaBuilder Step(string name, Uri participant, string resource, ReadOnlyMemory<byte> action,
        ReadOnlyMemory<byte>? compensation = null, Action<SagaStepOptions>? configure = null)
    {
        AddStep(++_group, name, participant, resource, action, compensation, configure);
        return this;
    }

    /// <summary>
    /// Adds a step with typed payloads that runs after every step added before it: <paramref name="action"/> goes to
    /// the action, <paramref name="compensation"/> to the compensation, each written by the client's serializer
    /// (a null compensation means the step cannot be undone).
    /// </summary>
    /// <typeparam name="TAction">The action's payload type, as the participant's step reads it.</typeparam>
    /// <typeparam name="TCompensation">The compensation's payload type, as the participant's step reads it.</typeparam>
    /// <exception cref="TwoPcInvalidRequestException">A name, resource or address is invalid, or the name is taken.</exception>
    /// <exception cref="Serialization.TwoPcSerializationException">A payload cannot be written.</exception>
    public SagaBuilder Step<TAction, TCompensation>(string name, Uri participant, string resource, TAction action, TCompensation compensation,
        Action<SagaStepOptions>? configure = null)
    {
        var serializer = _client.Options.Serializer;
        AddStep(++_group, name, participant, resource, ProtoMapping.Encode(serializer, action),
            compensation is null ? null : ProtoMapping.Encode(serializer, compensation), configure);
        return this;
    }

    /// <summary>
    /// Adds an optional step with a typed action payload and no compensation (it cannot be undone), after every step
    /// added before it. It may fail without rolling the saga back; see the proto's <c>SagaStep.optional</c> for what
    /// happens when its outcome stays unknown.
    /// </summary>
    /// <exception cref="TwoPcInvalidRequestException">A name, resource or address is invalid, or the name is taken.</exception>
    /// <exception cref="Serialization.TwoPcSerializationException">The payload cannot be written.</exception>
    public SagaBuilder OptionalStep<TAction>(string name, Uri participant, string resource, TAction action, Action<SagaStepOptions>? configure = null)
    {
        AddStep(++_group, name, participant, resource, ProtoMapping.Encode(_client.Options.Serializer, action), null, o =>
        {
            o.Optional();
            configure?.Invoke(o);
        });
        return this;
    }

    /// <summary>Adds a group of steps that run in parallel, after every step added before.</summary>
    /// <exception cref="TwoPcInvalidRequestException">The group has no step, or one of its steps is invalid.</exception>
    public SagaBuilder Parallel(Action<SagaParallelBuilder> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        var group = new SagaParallelBuilder(this, _client, ++_group);
        steps(group);
        if (group.Count == 0) throw ClientValidation.Invalid("steps", "a parallel group needs at least one step");
        return this;
    }

    /// <summary>Makes this saga a change request to the saga <paramref name="transactionId"/>.</summary>
    /// <exception cref="TwoPcInvalidRequestException">The id is blank or longer than 200 characters.</exception>
    public SagaBuilder Amends(string transactionId)
    {
        _request.AmendsTransactionId = ClientValidation.Name(transactionId, "amends_transaction_id");
        return this;
    }

    /// <summary>A retried run with the same key returns the same saga instead of starting another.</summary>
    /// <exception cref="TwoPcInvalidRequestException">The key is blank or longer than 128 characters.</exception>
    public SagaBuilder IdempotencyKey(string key)
    {
        _request.IdempotencyKey = ClientValidation.Key(key, "idempotency_key");
        return this;
    }

    /// <summary>Runs the saga to its end on the coordinator and returns how it ended.</summary>
    /// <exception cref="TwoPcInvalidRequestException">The saga has no step, or the coordinator refused a value (the field is named).</exception>
    /// <exception cref="TransactionInDoubtException">The reply was lost; the saga may be running. Retry with the same idempotency key.</exception>
    /// <exception cref="TransactionRetryLaterException">The coordinator refused before recording anything (a participant did not answer Describe).</exception>
    public Task<SagaResult> RunAsync(CancellationToken cancellationToken = default) => SendAsync(wait: true, cancellationToken);

    /// <summary>
    /// Starts the saga and returns as soon as the coordinator has recorded it durably, without waiting for its steps:
    /// the result carries its <see cref="SagaResult.TransactionId"/> and (unless a retry with the same idempotency key
    /// found it finished) <see cref="SagaOutcome.Running"/>. Wait for the end with
    /// <see cref="ITwoPcClient.WaitForSagaAsync"/>, or poll <see cref="ITwoPcClient.GetTransactionAsync"/>.
    /// </summary>
    /// <exception cref="TwoPcInvalidRequestException">The saga has no step, or the coordinator refused a value (the field is named).</exception>
    /// <exception cref="TransactionInDoubtException">The reply was lost; the saga may have been recorded. Retry with the same idempotency key.</exception>
    /// <exception cref="TransactionRetryLaterException">The coordinator refused before recording anything.</exception>
    public Task<SagaResult> StartAsync(CancellationToken cancellationToken = default) => SendAsync(wait: false, cancellationToken);

    private async Task<SagaResult> SendAsync(bool wait, CancellationToken cancellationToken)
    {
        if (_request.Steps.Count == 0) throw ClientValidation.Invalid("steps", "a saga needs at least one step");
        var request = _request.Clone();
        request.Wait = wait;
        var timeout = wait ? _client.Options.CompletionTimeout : _client.Options.CallTimeout;
        // A keyed saga is re-sent to the next instance after a lost reply (the shared log returns the same saga for
        // the key); an unkeyed one only when it provably reached no instance, so it never runs twice. A waiting run
        // whose deadline passed is not re-sent: the caller's time is spent.
        var keyed = request.IdempotencyKey.Length > 0;
        var (response, _) = await _client.CallAsync(_client.CoordinatorAddress, (c, o) => c.RunSagaAsync(request, o), timeout, CoordinatorCall.RunSaga, null,
            new Failover(RetryAmbiguous: keyed, RetryAfterDeadline: keyed && !wait), cancellationToken).ConfigureAwait(false);
        return ProtoMapping.ToResult(response, _client.Options.Serializer);
    }

    internal void AddStep(int group, string name, Uri participant, string resource, ReadOnlyMemory<byte> action,
        ReadOnlyMemory<byte>? compensation, Action<SagaStepOptions>? configure)
    {
        var at = $"steps[{_request.Steps.Count}]";
        ClientValidation.Name(name, at + ".name");
        var address = ClientValidation.Participant(participant, at + ".participant_address");
        ClientValidation.Name(resource, at + ".resource");
        if (_request.Steps.Any(s => s.Name == name))
            throw ClientValidation.Invalid(at + ".name", $"duplicate step name '{name}'; step names must be unique in a saga");
        var options = new SagaStepOptions();
        configure?.Invoke(options);
        var step = new P.SagaStep
        {
            Name = name,
            Group = group,
            Optional = options.IsOptional,
            ParticipantAddress = address,
            Resource = resource,
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
