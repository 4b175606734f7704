using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using TwoPC.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the TwoPC client.</summary>
public static class ClientServiceCollectionExtensions
{
    /// <summary>Adds a singleton <see cref="TwoPcClient"/> with one long-lived channel to the coordinator.</summary>
    public static IServiceCollection AddTwoPcClient(this IServiceCollection services, Action<TwoPcClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<TwoPcClientOptions>().Configure(configure)
            .Validate(o => o.CoordinatorAddress is { IsAbsoluteUri: true }, "TwoPcClientOptions.CoordinatorAddress must be an absolute URI.")
            .Validate(o => o.CallTimeout > TimeSpan.Zero && o.CompletionTimeout > TimeSpan.Zero, "TwoPcClientOptions timeouts must be positive.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new TwoPcClient(sp.GetRequiredService<IOptions<TwoPcClientOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    /// <summary>Adds <see cref="TwoPcPropagationInterceptor"/> to a gRPC client registered with <c>AddGrpcClient</c>.</summary>
    public static IHttpClientBuilder AddTwoPcPropagation(this IHttpClientBuilder builder) =>
        builder.AddInterceptor(() => new TwoPcPropagationInterceptor());
}
