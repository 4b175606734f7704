namespace TwoPC.Client;

/// <summary>Collects the steps of one parallel group of a saga (see <see cref="SagaBuilder"/> for the parameters).</summary>
public sealed class SagaParallelBuilder
{
    private readonly SagaBuilder _saga;
    private readonly TwoPcClient _client;
    private readonly int _group;

    internal SagaParallelBuilder(SagaBuilder saga, TwoPcClient client, int group)
    {
        _saga = saga;
        _client = client;
        _group = group;
    }

    internal int Count { get; private set; }

    /// <summary>Adds a step that runs in parallel with the other steps of this group.</summary>
    /// <exception cref="TwoPcInvalidRequestException">A name, resource or address is invalid, or the name is taken.</exception>
    public SagaParallelBuilder Step(string name, Uri participant, string resource, ReadOnlyMemory<byte> action,
        ReadOnlyMemory<byte>? compensation = null, Action<SagaStepOptions>? configure = null)
        => Add(name, participant, resource, action, compensation, configure);

    /// <summary>Adds a step with typed action and compensation payloads that runs in parallel with the other steps of this group.</summary>
    /// <exception cref="TwoPcInvalidRequestException">A name, resource or address is invalid, or the name is taken.</exception>
    /// <exception cref="Serialization.TwoPcSerializationException">A payload cannot be written.</exception>
    public SagaParallelBuilder Step<TAction, TCompensation>(string name, Uri participant, string resource, TAction action, TCompensation compensation,
        Action<SagaStepOptions>? configure = null)
    {
        var serializer = _client.Options.Serializer;
        return Add(name, participant, resource, ProtoMapping.Encode(serializer, action),
            compensation is null ? null : ProtoMapping.Encode(serializer, compensation), configure);
    }

    /// <summary>Adds an optional step with a typed action payload and no compensation (it cannot be undone) to this group.</summary>
    /// <exception cref="TwoPcInvalidRequestException">A name, resource or address is invalid, or the name is taken.</exception>
    /// <exception cref="Serialization.TwoPcSerializationException">The payload cannot be written.</exception>
    public SagaParallelBuilder OptionalStep<TAction>(string name, Uri participant, string resource, TAction action, Action<SagaStepOptions>? configure = null) =>
        Add(name, participant, resource, ProtoMapping.Encode(_client.Options.Serializer, action), null, o =>
        {
            o.Optional();
            configure?.Invoke(o);
        });

    private SagaParallelBuilder Add(string name, Uri participant, string resource, ReadOnlyMemory<byte> action,
        ReadOnlyMemory<byte>? compensation, Action<SagaStepOptions>? configure)
    {
        _saga.AddStep(_group, name, participant, resource, action, compensation, configure);
        Count++;
        return this;
    }
}
