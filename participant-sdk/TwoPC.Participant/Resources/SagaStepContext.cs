using TwoPC.Client.Serialization;

namespace TwoPC.Participant.Resources;

/// <summary>What a saga step resource learns about one action or compensation call.</summary>
public sealed class SagaStepContext : LocalWriteContext
{
    internal SagaStepContext(Type transactionType, ITwoPcSerializer serializer, string transactionId, string stepName, string resource, byte[] payload, int attempt, byte[]? actionOutput)
        : base(transactionType, serializer)
    {
        TransactionId = transactionId;
        StepName = stepName;
        Resource = resource;
        Payload = payload;
        Attempt = attempt;
        ActionOutput = actionOutput;
    }

    /// <summary>The saga's transaction id.</summary>
    public string TransactionId { get; }

    /// <summary>The step name, unique inside the saga.</summary>
    public string StepName { get; }

    /// <summary>The resource name the step targets (the name it was registered under with <c>AddSagaStep</c>).</summary>
    public string Resource { get; }

    /// <summary>The action payload (in ExecuteAsync) or the compensation payload (in CompensateAsync).</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The coordinator's attempt number, 1 for the first.</summary>
    public int Attempt { get; }

    /// <summary>In CompensateAsync: the output the action returned. Null in ExecuteAsync.</summary>
    public byte[]? ActionOutput { get; }

    /// <summary>The payload, read as <typeparamref name="TPayload"/> with <see cref="LocalWriteContext.Serializer"/>.</summary>
    /// <exception cref="TwoPcSerializationException">The payload is not a <typeparamref name="TPayload"/>.</exception>
    public TPayload ReadPayload<TPayload>() => Serializer.Deserialize<TPayload>(Payload);

    /// <summary>In CompensateAsync: the action's output (<see cref="Succeeded{TOutput}"/>), or default when it returned none.</summary>
    public TOutput? ReadActionOutput<TOutput>() => ActionOutput is null or { Length: 0 } ? default : Serializer.Deserialize<TOutput>(ActionOutput);

    /// <summary>The action took effect and returns <paramref name="output"/> (written with <see cref="LocalWriteContext.Serializer"/>) to the saga.</summary>
    public StepResult Succeeded<TOutput>(TOutput output) => StepResult.Succeeded(Serializer.Serialize(output));
}
