namespace TwoPC.Coordinator.Transactions;

/// <summary>One step of a saga as defined by the client, plus its progress. Mutated only under the gate.</summary>
public sealed class SagaStepRecord
{
    /// <summary>Unique name inside the saga.</summary>
    public string Name { get; set; } = "";

    /// <summary>Steps of one group run in parallel; groups run in ascending order.</summary>
    public int Group { get; set; }

    /// <summary>An optional step may fail without rolling the saga back.</summary>
    public bool Optional { get; set; }

    /// <summary>Participant endpoint.</summary>
    public string ParticipantAddress { get; set; } = "";

    /// <summary>Step handler name in the participant.</summary>
    public string Resource { get; set; } = "";

    /// <summary>Action payload.</summary>
    public byte[] ActionPayload { get; set; } = [];

    /// <summary>Compensation payload; null when the step cannot be undone.</summary>
    public byte[]? CompensationPayload { get; set; }

    /// <summary>Attempts of the action before it counts as failed.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>First retry delay.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Largest retry delay.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Per-attempt timeout of the action.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Current state.</summary>
    public BranchState State { get; set; } = BranchState.StepPending;

    /// <summary>Action attempts made.</summary>
    public int Attempts { get; set; }

    /// <summary>Compensation attempts made.</summary>
    public int CompensationAttempts { get; set; }

    /// <summary>Last error.</summary>
    public string? LastError { get; set; }

    /// <summary>
    /// The step failed without a definitive answer (retries exhausted on timeouts or lost connections): the action
    /// may have run, so a rollback must compensate it (the participant's barrier makes that a null compensation if
    /// it never ran, and blocks a late action).
    /// </summary>
    public bool OutcomeUnknown { get; set; }

    /// <summary>Bytes the action returned.</summary>
    public byte[] Result { get; set; } = [];

    /// <summary>A deep copy.</summary>
    public SagaStepRecord Clone() => (SagaStepRecord)MemberwiseClone();
}
