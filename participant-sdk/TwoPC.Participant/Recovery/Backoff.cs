namespace TwoPC.Participant.Recovery;

/// <summary>Exponential backoff with jitter: the n-th delay lies in [d/2, d] where d = min(initial·2ⁿ, max).</summary>
internal static class Backoff
{
    public static TimeSpan Delay(int attempt, TimeSpan initial, TimeSpan max, Random random)
    {
        var exponent = Math.Min(attempt, 30);
        var ceiling = Math.Min(initial.TotalMilliseconds * Math.Pow(2, exponent), max.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ceiling / 2 + random.NextDouble() * ceiling / 2);
    }
}
