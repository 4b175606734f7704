using Grpc.AspNetCore.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using TwoPC.Durability;
using TwoPC.Participant.Barrier;
using TwoPC.Participant.Client;
using TwoPC.Participant.Diagnostics;
using TwoPC.Participant.Hosting;
using TwoPC.Participant.Recovery;
using TwoPC.Participant.Storage;
using TwoPC.Participant.TwoPhase;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the TwoPC participant and client.</summary>
public static class ParticipantServiceCollectionExtensions
{
    /// <summary>
    /// Adds the participant endpoint (map it with <c>MapTwoPcParticipant</c>), its store, barrier, in-doubt recovery and
    /// the server-side propagation of the ambient transaction. Options are validated when the host starts.
    /// </summary>
    public static ITwoPcParticipantBuilder AddTwoPcParticipant(this IServiceCollection services, Action<ParticipantOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<ParticipantOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ParticipantOptions>, ParticipantOptionsValidator>());
        // Crash-test fault points come only from the host's configuration; without one there are none.
        services.AddOptions<ParticipantFaultOptions>().Configure<IServiceProvider>((faults, sp) =>
            sp.GetService<IConfiguration>()?.GetSection(ParticipantFaultOptions.Section).Bind(faults));
        services.AddGrpc();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<GrpcServiceOptions>, AddServerInterceptor>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DurabilityMetrics>();
        services.TryAddSingleton<IFileFlusher, FdatasyncFileFlusher>();
        // A failed forced write ends the process (fail-stop); register another IStorageFailStop first to change that.
        services.TryAddSingleton<IStorageFailStop, ProcessFailStop>();
        services.TryAddSingleton<ParticipantStore>();
        services.TryAddSingleton<IParticipantStore>(sp => sp.GetRequiredService<ParticipantStore>());
        services.TryAddSingleton<ParticipantCounters>();
        services.TryAddSingleton<HandlerRegistry>();
        services.TryAddSingleton<BranchEngine>();
        services.TryAddSingleton<SagaBarrier>();
        services.TryAddSingleton<CoordinatorChannels>();
        services.TryAddSingleton<ITwoPcTransactionContextAccessor, TwoPcTransactionContextAccessor>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, InDoubtResolver>());
        return new TwoPcParticipantBuilder(services);
    }

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

    private sealed class AddServerInterceptor : IConfigureOptions<GrpcServiceOptions>
    {
        public void Configure(GrpcServiceOptions options) => options.Interceptors.Add<TwoPcServerInterceptor>();
    }
}
