using Microsoft.Extensions.DependencyInjection;

namespace TwoPC.Samples.Caller;

/// <summary>How a service registers the client (a console app or a worker needs no web host for it).</summary>
public static class ClientRegistration
{
    /// <summary>Adds <c>ITwoPcClient</c> and the two callers to <paramref name="services"/>.</summary>
    public static IServiceCollection AddSampleCallers(this IServiceCollection services, Uri coordinator)
    {
        // begin-snippet: client
        services.AddTwoPcClient(o =>
        {
            o.CoordinatorAddress = coordinator;                        // one long-lived channel, shared
            o.CallTimeout = TimeSpan.FromSeconds(10);
        });
        services.AddSingleton<TransferCaller>();                       // takes ITwoPcClient (mockable)
        // end-snippet
        services.AddSingleton<TripBooker>();
        return services;
    }
}
