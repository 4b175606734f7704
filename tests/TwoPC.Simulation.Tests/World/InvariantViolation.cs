namespace TwoPC.Simulation.Tests.World;

/// <summary>A named invariant failed. The runner adds the seed and the tail of the trace.</summary>
internal sealed class InvariantViolation(string invariant, string message) : Exception($"[{invariant}] {message}")
{
    public string Invariant { get; } = invariant;
}
