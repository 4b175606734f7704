using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using TwoPC.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the TwoPC client.</summary>
public static class ClientServiceCollectionExtensions
{
    /// <summary>
    /// Adds one singleton <see cref="TwoPcClient"/>, also resolved as <see cref="ITwoPcClient"/>, with one long-lived
    /// channel per coordinator instance. The options are validated when the host starts (a bad one fails the start with a
    /// one-line message naming it).
    /// </summary>
    public static ITwoPcClientBuilder AddTwoPcClient(this IServiceCollection services, Action<TwoPcClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<TwoPcClientOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TwoPcClientOptions>, TwoPcClientOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new TwoPcClient(sp.GetRequiredService<IOptions<TwoPcClientOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ITwoPcClient>(sp => sp.GetRequiredService<TwoPcClient>());
        return new TwoPcClientBuilder(services);
    }

    /// <summary>Adds <see cref="TwoPcPropagationInterceptor"/> to a gRPC client registered with <c>AddGrpcClient</c>.</summary>
    public static IHttpClientBuilder AddTwoPcPropagation(this IHttpClientBuilder builder) =>
        builder.AddInterceptor(() => new TwoPcPropagationInterceptor());
}
