namespace TwoPC.Coordinator.Transactions;

/// <summary>
/// Transaction ids: 32 hex digits. The first 16 are a per-process strictly increasing value seeded from the
/// clock (milliseconds × 65536), so ids sort by creation; the last 16 are random, so ids never collide across
/// processes or restarts.
/// </summary>
public static class TransactionIds
{
    private static long _last;

    /// <summary>A new id from the system clock, greater than every id this process made before.</summary>
    public static string New() => New(TimeProvider.System);

    /// <summary>A new id from <paramref name="time"/>, greater than every id this process made before.</summary>
    public static string New(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds() << 16;
        long next;
        long last;
        do
        {
            last = Interlocked.Read(ref _last);
            next = Math.Max(now, last + 1);
        }
        while (Interlocked.CompareExchange(ref _last, next, last) != last);
        return next.ToString("x16") + Random.Shared.NextInt64().ToString("x16");
    }

    /// <summary>An id made at <paramref name="time"/> (for tests and tools; <see cref="New(TimeProvider)"/> for new transactions).</summary>
    public static string At(DateTimeOffset time) => (time.ToUnixTimeMilliseconds() << 16).ToString("x16") + Random.Shared.NextInt64().ToString("x16");

    /// <summary>Every id made before <paramref name="time"/> sorts below this string.</summary>
    public static string LowerBound(DateTimeOffset time) => (time.ToUnixTimeMilliseconds() << 16).ToString("x16") + new string('0', 16);

    /// <summary>True for a well-formed id.</summary>
    public static bool IsValid(string value) => value.Length == 32 && value.All(char.IsAsciiHexDigitLower);
}
