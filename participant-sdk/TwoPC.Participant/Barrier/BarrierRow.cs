namespace TwoPC.Participant.Barrier;

/// <summary>
/// One durable barrier row per (transaction, step, operation). Its existence is what detects duplicates,
/// null compensations and hanging actions.
/// </summary>
internal sealed record BarrierRow(string TransactionId, string StepName, string Operation, int Result, byte[] Output, string Reason, DateTimeOffset At)
{
    public const string Action = "action";
    public const string Compensation = "compensate";
}
