namespace TwoPC.Client;

/// <summary>Per-step settings of a saga step (fluent); unset values take the coordinator's defaults.</summary>
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
    /// <exception cref="TwoPcInvalidRequestException">Fewer than one attempt, a negative backoff, or a maximum below the initial backoff.</exception>
    public SagaStepOptions Retry(int maxAttempts, TimeSpan initialBackoff, TimeSpan maxBackoff)
    {
        if (maxAttempts < 1) throw ClientValidation.Invalid("retry.max_attempts", $"is {maxAttempts}; it must be at least 1");
        if (initialBackoff < TimeSpan.Zero) throw ClientValidation.Invalid("retry.initial_backoff", $"is {initialBackoff}; it must not be negative");
        if (maxBackoff < initialBackoff) throw ClientValidation.Invalid("retry.max_backoff", $"is {maxBackoff}; it must be at least retry.initial_backoff ({initialBackoff})");
        MaxAttempts = maxAttempts;
        InitialBackoff = initialBackoff;
        MaxBackoff = maxBackoff;
        return this;
    }

    /// <summary>Per-attempt timeout of the action.</summary>
    /// <exception cref="TwoPcInvalidRequestException">The timeout is not positive.</exception>
    public SagaStepOptions Timeout(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero) throw ClientValidation.Invalid("timeout", $"is {timeout}; it must be positive");
        AttemptTimeout = timeout;
        return this;
    }
}
