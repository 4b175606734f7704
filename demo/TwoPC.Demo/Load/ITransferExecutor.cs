namespace TwoPC.Demo.Load;

/// <summary>Runs one transfer in one transaction mode until it has a final outcome (or gives up at the deadline).</summary>
internal interface ITransferExecutor
{
    /// <summary>Runs <paramref name="transfer"/>; <paramref name="inDoubt"/> is called when its first answer was lost.</summary>
    Task<TransferOutcome> RunAsync(Transfer transfer, Action inDoubt, CancellationToken cancellationToken);
}
