namespace TwoPC;

/// <summary>
/// Capped exponential backoff with jitter, shared by the coordinator and the participant SDK (compiled into each
/// assembly from <c>common/</c>). Retry number <c>n</c> (1-based) waits a delay in [d/2, d], where
/// d = min(initial · 2ⁿ⁻¹, max): each retry waits at least half of d, and concurrent retries spread out.
/// </summary>
internal static class Backoff
{
    /// <summary>
    /// The delay before retry number <paramref name="attempt"/> (1 for the first retry; 0 or less counts as 1).
    /// The jitter comes from <paramref name="random"/> (default <see cref="Random.Shared"/>): pass a seeded one where
    /// a run must be reproducible.
    /// </summary>
    public static TimeSpan Delay(int attempt, TimeSpan initial, TimeSpan max, Random? random = null)
    {
        var exponent = Math.Min(Math.Max(attempt - 1, 0), 30);
        // initial · 2ⁿ⁻¹ without overflow: above max >> exponent the product would exceed max anyway.
        var ceiling = Math.Max(initial.Ticks > max.Ticks >> exponent ? max.Ticks : initial.Ticks << exponent, 0);
        var half = ceiling / 2;
        return TimeSpan.FromTicks(half + (random ?? Random.Shared).NextInt64(half + 1));
    }
}
