namespace TwoPC.Coordinator.Tests.Common;

public sealed class BackoffTests
{
    private static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(2);

    [Theory]
    [InlineData(1, 100)]
    [InlineData(2, 200)]
    [InlineData(4, 800)]
    [InlineData(5, 1600)]
    [InlineData(6, 2000)]
    [InlineData(1000, 2000)]
    public void Delay_RetryN_LiesBetweenHalfAndAllOfTheCappedDoubling(int attempt, int ceilingMs)
    {
        var random = new Random(7);
        for (var i = 0; i < 200; i++)
        {
            var delay = Backoff.Delay(attempt, Initial, Max, random);
            Assert.InRange(delay, TimeSpan.FromMilliseconds(ceilingMs / 2.0), TimeSpan.FromMilliseconds(ceilingMs));
        }
    }

    [Fact]
    public void Delay_SameSeed_SameDelays()
    {
        var a = new Random(42);
        var b = new Random(42);
        for (var attempt = 1; attempt <= 20; attempt++)
            Assert.Equal(Backoff.Delay(attempt, Initial, Max, a), Backoff.Delay(attempt, Initial, Max, b));
    }

    /// <summary>A saga step may ask for an initial backoff up to an hour and a hundred attempts: the doubling must not overflow.</summary>
    [Fact]
    public void Delay_LargeInitialAndManyAttempts_IsTheCapWithoutOverflow()
    {
        var hour = TimeSpan.FromHours(1);
        for (var attempt = 1; attempt <= ProtocolLimits.MaxStepAttempts; attempt++)
            Assert.InRange(Backoff.Delay(attempt, TimeSpan.FromMinutes(20), hour, new Random(attempt)), TimeSpan.FromMinutes(10), hour);
    }
}
