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
}
