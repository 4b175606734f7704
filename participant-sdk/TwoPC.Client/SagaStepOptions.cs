namespace TwoPC.Client;

/// <summary>Per-step settings of a saga step (fluent).</summary>
public sealed class SagaStepOptions
{
    internal bool IsOptional { get; private set; }

    internal int MaxAttempts { get; private set; }

    internal TimeSpan InitialBackoff { get; private set; }

    internal TimeSpan MaxBackoff { get; private set; }

    internal TimeSpan AttemptTimeout { get; private set; }

    /// <summary>The step may fail without rolling the saga back.</summary>
    public SagaStepOptions Optional()
    {
        IsOptional = true;
        return this;
    }

    /// <summary>Attempts of the action before it counts as failed, with doubling backoff between them.</summary>
    public SagaStepOptions Retry(int maxAttempts, TimeSpan initialBackoff, TimeSpan maxBackoff)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(initialBackoff, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBackoff, initialBackoff);
        MaxAttempts = maxAttempts;
        InitialBackoff = initialBackoff;
        MaxBackoff = maxBackoff;
        return this;
    }

    /// <summary>Per-attempt timeout of the action.</summary>
    public SagaStepOptions Timeout(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        AttemptTimeout = timeout;
        return this;
    }
}
