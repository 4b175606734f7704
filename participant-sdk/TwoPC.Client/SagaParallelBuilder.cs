namespace TwoPC.Client;

/// <summary>Collects the steps of one parallel group of a saga.</summary>
public sealed class SagaParallelBuilder
{
    private readonly SagaBuilder _saga;
    private readonly int _group;

    internal SagaParallelBuilder(SagaBuilder saga, int group)
    {
        _saga = saga;
        _group = group;
    }

    internal int Count { get; private set; }

    /// <summary>Adds a step that runs in parallel with the other steps of this group.</summary>
    public SagaParallelBuilder Step(string name, Uri participant, string handler, ReadOnlyMemory<byte> action,
        ReadOnlyMemory<byte>? compensation = null, Action<SagaStepOptions>? configure = null)
    {
        _saga.AddStep(_group, name, participant, handler, action, compensation, configure);
        Count++;
        return this;
    }
}
