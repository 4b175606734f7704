namespace TwoPC.IntegrationTests.PowerLoss;

/// <summary>
/// The power-loss tests run alone: they mount filesystems, start three processes each and cut the power at moments
/// chosen by load, which a parallel test on the same two cores would only blur.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PowerLossCollection
{
    public const string Name = "power loss";
}
