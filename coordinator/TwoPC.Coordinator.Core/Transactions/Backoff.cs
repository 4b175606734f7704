namespace TwoPC.Coordinator.Transactions;

/// <summary>Exponential backoff with full jitter, capped: attempt 1 waits up to <c>initial</c>, then doubling.</summary>
public static class Backoff
{
    /// <summary>The delay before retry number <paramref name="attempt"/> (1-based).</summary>
    public static TimeSpan Delay(int attempt, TimeSpan initial, TimeSpan max, Random? random = null)
    {
        var exponent = Math.Min(Math.Max(attempt - 1, 0), 30);
        var ceiling = Math.Min(initial.Ticks * (1L << exponent), max.Ticks);
        // Half fixed, half random: never zero, and concurrent retries spread out.
        var half = ceiling / 2;
        return TimeSpan.FromTicks(half + (random ?? Random.Shared).NextInt64(half + 1));
    }
}
