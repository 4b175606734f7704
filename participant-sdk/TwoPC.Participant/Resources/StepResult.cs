namespace TwoPC.Participant.Resources;

/// <summary>The answer of <see cref="ISagaStepResource.ExecuteAsync"/>.</summary>
public sealed class StepResult
{
    private StepResult(bool succeeded, byte[] output, string reason)
    {
        IsSucceeded = succeeded;
        Output = output;
        Reason = reason;
    }

    /// <summary>True when the action took effect.</summary>
    public bool IsSucceeded { get; }

    /// <summary>Bytes returned to the coordinator (and kept by the barrier for duplicates).</summary>
    public byte[] Output { get; }

    /// <summary>Why the action failed; empty on success.</summary>
    public string Reason { get; }

    /// <summary>The action took effect.</summary>
    public static StepResult Succeeded(byte[]? output = null) => new(true, output ?? Array.Empty<byte>(), "");

    /// <summary>Definitive business failure: nothing changed and retrying will not help.</summary>
    public static StepResult Failed(string reason) => new(false, Array.Empty<byte>(), reason ?? "");
}
