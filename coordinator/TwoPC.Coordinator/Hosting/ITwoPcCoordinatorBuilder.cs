using Microsoft.Extensions.DependencyInjection;

namespace TwoPC.Coordinator.Hosting;

/// <summary>Returned by <c>AddTwoPcCoordinator</c> to configure the coordinator further.</summary>
public interface ITwoPcCoordinatorBuilder
{
    /// <summary>The service collection.</summary>
    IServiceCollection Services { get; }
}

internal sealed class TwoPcCoordinatorBuilder(IServiceCollection services) : ITwoPcCoordinatorBuilder
{
    public IServiceCollection Services { get; } = services;
}
