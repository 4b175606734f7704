namespace TwoPC.Demo.Load;

/// <summary>Retries while the coordinator or a bank is down: doubling delay, bounded by one deadline.</summary>
internal sealed class Patience(TimeSpan budget)
{
    private readonly DateTime _deadline = DateTime.UtcNow + budget;
    private int _delayMs = 25;

    public bool Expired => DateTime.UtcNow >= _deadline;

    /// <summary>Waits before the next attempt; false when the deadline has passed.</summary>
    public async Task<bool> WaitAsync(CancellationToken cancellationToken)
    {
        if (Expired) return false;
        await Task.Delay(_delayMs, cancellationToken).ConfigureAwait(false);
        _delayMs = Math.Min(_delayMs * 2, 500);
        return !Expired;
    }
}
