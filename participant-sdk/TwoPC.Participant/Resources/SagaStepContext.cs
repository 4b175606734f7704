namespace TwoPC.Participant.Resources;

/// <summary>What a saga step handler learns about one action or compensation call.</summary>
public sealed class SagaStepContext : LocalWriteContext
{
    internal SagaStepContext(Type transactionType, string transactionId, string stepName, string handler, byte[] payload, int attempt, byte[]? actionOutput)
        : base(transactionType)
    {
        TransactionId = transactionId;
        StepName = stepName;
        Handler = handler;
        Payload = payload;
        Attempt = attempt;
        ActionOutput = actionOutput;
    }

    /// <summary>The saga's transaction id.</summary>
    public string TransactionId { get; }

    /// <summary>The step name, unique inside the saga.</summary>
    public string StepName { get; }

    /// <summary>The handler name the step targets.</summary>
    public string Handler { get; }

    /// <summary>The action payload (in ExecuteAsync) or the compensation payload (in CompensateAsync).</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The coordinator's attempt number, 1 for the first.</summary>
    public int Attempt { get; }

    /// <summary>In CompensateAsync: the output the action returned. Null in ExecuteAsync.</summary>
    public byte[]? ActionOutput { get; }
}
