using System.ComponentModel.DataAnnotations;

namespace TwoPC.Coordinator.Tests.Hosting;

public sealed class CoordinatorOptionsTests
{
    private static List<ValidationResult> Validate(CoordinatorOptions options) => options.Validate(new ValidationContext(options)).ToList();

    [Fact]
    public void Defaults_AreValid_AndParkedSagasAreRetriedEveryFiveMinutes()
    {
        var options = new CoordinatorOptions();

        Assert.Empty(Validate(options));
        Assert.Equal(TimeSpan.FromMinutes(5), options.ParkedSagaRetryInterval);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void ParkedSagaRetryInterval_NotPositive_IsRejectedByName(int seconds)
    {
        var error = Assert.Single(Validate(new CoordinatorOptions { ParkedSagaRetryInterval = TimeSpan.FromSeconds(seconds) }));

        Assert.Equal([nameof(CoordinatorOptions.ParkedSagaRetryInterval)], error.MemberNames);
        Assert.Equal("must be > 0", error.ErrorMessage);
    }

    [Fact]
    public void ClusterDefaults_AreTheDocumentedOnes()
    {
        var options = new CoordinatorOptions();

        Assert.Equal(TimeSpan.FromSeconds(3), options.LeaseDuration);
        Assert.Equal(TimeSpan.FromSeconds(1), options.LeaseRenewInterval);
        Assert.Equal(TimeSpan.FromSeconds(1), options.TakeoverScanInterval);
    }

    [Fact]
    public void ALeaseRenewedLessOftenThanTwicePerLease_IsRejectedByName()
    {
        var error = Assert.Single(Validate(new CoordinatorOptions { LeaseDuration = TimeSpan.FromSeconds(3), LeaseRenewInterval = TimeSpan.FromSeconds(2) }));

        Assert.Equal([nameof(CoordinatorOptions.LeaseRenewInterval)], error.MemberNames);
        Assert.Equal("must be > 0 and at most half of LeaseDuration", error.ErrorMessage);
    }

    [Fact]
    public void ANonPositiveLeaseOrScanInterval_IsRejectedByName()
    {
        var errors = Validate(new CoordinatorOptions { LeaseDuration = TimeSpan.Zero, LeaseRenewInterval = TimeSpan.Zero, TakeoverScanInterval = TimeSpan.Zero });

        Assert.Equal(
            [nameof(CoordinatorOptions.LeaseDuration), nameof(CoordinatorOptions.LeaseRenewInterval), nameof(CoordinatorOptions.TakeoverScanInterval)],
            errors.SelectMany(e => e.MemberNames).Order());
    }
}
