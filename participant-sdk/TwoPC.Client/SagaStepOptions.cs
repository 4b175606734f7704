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
    /// <exception cref="TwoPcInvalidRequestException">Attempts outside 1..100, a backoff outside 0..1 hour, or a maximum below the initial backoff.</exception>
    public SagaStepOptions Retry(int maxAttempts, TimeSpan initialBackoff, TimeSpan maxBackoff)
    {
        if (maxAttempts is < 1 or > ProtocolLimits.MaxStepAttempts)
            throw ClientValidation.Invalid("retry.max_attempts", $"is {maxAttempts}; it must be between 1 and {ProtocolLimits.MaxStepAttempts}");
        if (initialBackoff < TimeSpan.Zero || initialBackoff > ProtocolLimits.MaxStepDuration)
            throw ClientValidation.Invalid("retry.initial_backoff", $"is {initialBackoff}; it must lie between 0 and {ProtocolLimits.MaxStepDuration}");
        if (maxBackoff < initialBackoff || maxBackoff > ProtocolLimits.MaxStepDuration)
            throw ClientValidation.Invalid("retry.max_backoff", $"is {maxBackoff}; it must lie between retry.initial_backoff ({initialBackoff}) and {ProtocolLimits.MaxStepDuration}");
        MaxAttempts = maxAttempts;
        InitialBackoff = initialBackoff;
        MaxBackoff = maxBackoff;
        return this;
    }

    /// <summary>Per-attempt timeout of the action.</summary>
    /// <exception cref="TwoPcInvalidRequestException">The timeout is not positive or longer than 1 hour.</exception>
    public SagaStepOptions Timeout(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero || timeout > ProtocolLimits.MaxStepDuration)
            throw ClientValidation.Invalid("timeout", $"is {timeout}; it must be positive and at most {ProtocolLimits.MaxStepDuration}");
        AttemptTimeout = timeout;
        return this;
    }
}
