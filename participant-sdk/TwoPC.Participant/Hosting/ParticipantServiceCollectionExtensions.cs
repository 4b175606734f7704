using Grpc.AspNetCore.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using TwoPC.Durability;
using TwoPC.Participant.Barrier;
using TwoPC.Client;
using TwoPC.Client.Serialization;
using TwoPC.Participant.Propagation;
using TwoPC.Participant.Diagnostics;
using TwoPC.Participant.Hosting;
using TwoPC.Participant.Recovery;
using TwoPC.Participant.Storage;
using TwoPC.Participant.TwoPhase;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the TwoPC participant.</summary>
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
        // Typed payloads: protobuf messages binary, other types JSON; register another ITwoPcSerializer to change it.
        services.TryAddSingleton<ITwoPcSerializer>(TwoPcSerializer.Default);
        services.TryAddSingleton<DurabilityMetrics>();
        // A failed forced write ends the process (fail-stop); register another IStorageFailStop first to change that.
        services.TryAddSingleton<IStorageFailStop, ProcessFailStop>();
        // A store package replaces this (UseLiteDbStore, ...); without one the host fails to start with this message.
        services.TryAddSingleton<IParticipantStore>(_ => throw new OptionsValidationException(nameof(IParticipantStore), typeof(IParticipantStore),
            ["No participant store is registered: call UseLiteDbStore(...) (package TwoPC.Participant.LiteDb) or another store's Use... method on the builder AddTwoPcParticipant returns."]));
        services.TryAddSingleton<ParticipantCounters>();
        services.TryAddSingleton<ResourceRegistry>();
        services.TryAddSingleton<BranchEngine>();
        services.TryAddSingleton<SagaBarrier>();
        services.TryAddSingleton<CoordinatorChannels>();
        services.TryAddSingleton<ITwoPcTransactionContextAccessor, TwoPcTransactionContextAccessor>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, InDoubtResolver>());
        return new TwoPcParticipantBuilder(services);
    }

    private sealed class AddServerInterceptor : IConfigureOptions<GrpcServiceOptions>
    {
        public void Configure(GrpcServiceOptions options) => options.Interceptors.Add<TwoPcServerInterceptor>();
    }
}
