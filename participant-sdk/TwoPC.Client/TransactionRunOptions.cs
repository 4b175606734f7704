namespace TwoPC.Client;

/// <summary>Settings of one <see cref="ITwoPcClient.RunInTransactionAsync"/> run.</summary>
public sealed class TransactionRunOptions
{
    /// <summary>How long the transaction may stay undecided before the coordinator aborts it. Default null (the coordinator's default).</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>Key of the Begin: a retried run with the same key joins the same transaction. Default null (none).</summary>
    public string? IdempotencyKey { get; set; }

    /// <summary>Whether the commit answers only after every branch acknowledged phase 2. Default false.</summary>
    public bool WaitForCompletion { get; set; }
}
