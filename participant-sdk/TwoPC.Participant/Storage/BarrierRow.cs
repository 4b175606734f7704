namespace TwoPC.Participant.Storage;

/// <summary>
/// One durable barrier row per (transaction, step, operation). Its existence is what detects duplicates, null
/// compensations and hanging actions; <see cref="Result"/> holds the outcome the first call recorded.
/// </summary>
/// <param name="TransactionId">The saga's transaction id.</param>
/// <param name="StepName">The step name, unique inside the saga.</param>
/// <param name="Operation"><see cref="Action"/> or <see cref="Compensation"/>.</param>
/// <param name="Result">The recorded outcome (the protocol's execute or compensate outcome number).</param>
/// <param name="Output">The action's output (empty for compensations).</param>
/// <param name="Reason">Why the action failed, or what the null compensation stands for; empty otherwise.</param>
/// <param name="At">When the row was written.</param>
public sealed record BarrierRow(string TransactionId, string StepName, string Operation, int Result, byte[] Output, string Reason, DateTimeOffset At)
{
    /// <summary>The operation name of a saga action's row.</summary>
    public const string Action = "action";

    /// <summary>The operation name of a compensation's row.</summary>
    public const string Compensation = "compensate";

    /// <summary>The row's unique key: transaction, step and operation.</summary>
    public string Key => KeyOf(TransactionId, StepName, Operation);

    /// <summary>The unique key of the row for (<paramref name="transactionId"/>, <paramref name="stepName"/>, <paramref name="operation"/>).</summary>
    public static string KeyOf(string transactionId, string stepName, string operation) => transactionId + "/" + stepName + "/" + operation;
}
