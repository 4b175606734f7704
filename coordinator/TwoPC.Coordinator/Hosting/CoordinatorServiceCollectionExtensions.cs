using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using TwoPC.Coordinator;
using TwoPC.Coordinator.Diagnostics;
using TwoPC.Coordinator.Hosting;
using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Protocols;
using TwoPC.Coordinator.Protocols.Saga;
using TwoPC.Coordinator.Protocols.TwoPhase;
using TwoPC.Coordinator.Recovery;
using TwoPC.Coordinator.Services;
using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Storage.LiteDb;
using TwoPC.Coordinator.Storage.PostgreSql;
using TwoPC.Coordinator.Transactions;
using TwoPC.Durability;

// Extensions live in the DI namespace, like grpc-dotnet's AddGrpc.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the TwoPC coordinator.</summary>
public static class CoordinatorServiceCollectionExtensions
{
    /// <summary>
    /// Adds the coordinator engine, the decision log chosen by <c>TwoPC:Coordinator:Storage</c> (<c>LiteDb</c>, the
    /// default, or <c>PostgreSql</c> with <c>TwoPC:Coordinator:PostgreSql:ConnectionString</c>; see
    /// <see cref="CoordinatorStorageOptions"/>) unless another <see cref="ITransactionLog"/> is registered first,
    /// recovery, the timeout sweeper and the gRPC services. Map them with <c>app.MapTwoPcCoordinator()</c>. Options
    /// are validated on start.
    /// </summary>
    public static ITwoPcCoordinatorBuilder AddTwoPcCoordinator(this IServiceCollection services, Action<CoordinatorOptions>? configure = null)
    {
        var options = services.AddOptions<CoordinatorOptions>().ValidateDataAnnotations().ValidateOnStart();
        if (configure is not null) options.Configure(configure);
        // Resolved once, so the path used, logged and reported is the same whatever the working directory does later.
        options.PostConfigure(o =>
        {
            if (!string.IsNullOrWhiteSpace(o.DataPath)) o.DataPath = Path.GetFullPath(o.DataPath);
        });

        services.AddGrpc(o => o.Interceptors.Add<ErrorMappingInterceptor>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DurabilityMetrics>();
        services.TryAddSingleton<CoordinatorMetrics>();
        services.TryAddSingleton<IFileFlusher, FdatasyncFileFlusher>();
        // A failed forced write ends the process (fail-stop; see StorageFailedException); register another first to change it.
        services.TryAddSingleton<IStorageFailStop, ProcessFailStop>();
        // The storage selection comes from configuration (TwoPC:Coordinator:Storage, TwoPC:Coordinator:PostgreSql:*);
        // code may set it too with services.Configure<CoordinatorStorageOptions>(...).
        services.AddOptions<CoordinatorStorageOptions>()
            .Configure<IServiceProvider>((o, sp) => sp.GetService<Microsoft.Extensions.Configuration.IConfiguration>()?.GetSection(CoordinatorStorageOptionsValidator.Section).Bind(o))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CoordinatorStorageOptions>, CoordinatorStorageOptionsValidator>());
        services.TryAddSingleton(OpenPostgreSqlLog);
        services.TryAddSingleton<ITransactionLog>(sp =>
        {
            if (sp.GetRequiredService<IOptions<CoordinatorStorageOptions>>().Value.UsesPostgreSql) return sp.GetRequiredService<PostgreSqlTransactionLog>();
            var o = sp.GetRequiredService<IOptions<CoordinatorOptions>>().Value;
            var failStop = sp.GetRequiredService<IStorageFailStop>();
            return new LiteDbTransactionLog(new GroupCommitOptions { Path = o.DataPath, MaxBatchSize = o.MaxBatchSize, OnFailStop = failStop.Stop,
                    Logger = sp.GetService<ILoggerFactory>()?.CreateLogger<LiteDbTransactionLog>() },
                sp.GetRequiredService<IFileFlusher>(), sp.GetRequiredService<DurabilityMetrics>());
        });
        services.TryAddSingleton<TransactionTable>();
        services.TryAddSingleton<ParticipantChannelPool>();
        services.TryAddSingleton<IParticipantClient, GrpcParticipantClient>();
        // Fault points come only from configuration (tests); without an IConfiguration there are none.
        services.AddOptions<FaultOptions>().Configure<IServiceProvider>((o, sp) =>
            sp.GetService<Microsoft.Extensions.Configuration.IConfiguration>()?.GetSection("TwoPC:Faults").Bind(o));
        services.TryAddSingleton<IFaultInjector, ConfiguredFaultInjector>();
        services.TryAddSingleton(sp => new EngineServices(
            sp.GetRequiredService<ITransactionLog>(), sp.GetRequiredService<TransactionTable>(), sp.GetRequiredService<IParticipantClient>(),
            sp.GetRequiredService<IOptions<CoordinatorOptions>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<CoordinatorMetrics>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<EngineServices>>())
        {
            Faults = sp.GetRequiredService<IFaultInjector>(),
        });
        services.TryAddSingleton<TwoPhaseCommitProcessor>();
        services.AddSingleton<ITransactionProcessor>(sp => sp.GetRequiredService<TwoPhaseCommitProcessor>());
        services.TryAddSingleton<SagaProcessor>();
        services.AddSingleton<ITransactionProcessor>(sp => sp.GetRequiredService<SagaProcessor>());
        services.TryAddSingleton<TransactionManager>();
        services.AddHostedService<DecisionLogAnnouncer>();
        services.AddHostedService<RecoveryHostedService>();
        // With a shared log (PostgreSQL): renews this instance's lease and takes over the work of instances that died.
        services.AddHostedService<ClusterLeaseHostedService>();
        services.AddHostedService<TimeoutSweeper>();
        return new TwoPcCoordinatorBuilder(services);
    }

    // Opens (creating or migrating the schema) and registers this instance with a first lease, so that it is known,
    // with its advertised address, from its start; the lease is renewed from then on by the engine.
    private static PostgreSqlTransactionLog OpenPostgreSqlLog(IServiceProvider sp)
    {
        var storage = sp.GetRequiredService<IOptions<CoordinatorStorageOptions>>().Value;
        var coordinator = sp.GetRequiredService<IOptions<CoordinatorOptions>>().Value;
        var logger = sp.GetService<ILoggerFactory>()?.CreateLogger<PostgreSqlTransactionLog>();
        var failStop = sp.GetRequiredService<IStorageFailStop>();
        var time = sp.GetRequiredService<TimeProvider>();
        return Task.Run(async () =>
        {
            var log = await PostgreSqlTransactionLog.OpenAsync(storage.PostgreSql, failStop, logger, time, CancellationToken.None).ConfigureAwait(false);
            try
            {
                if (!await log.RenewLeaseAsync(coordinator.LeaseDuration, coordinator.AdvertisedAddress ?? "", CancellationToken.None).ConfigureAwait(false))
                {
                    throw new InvalidOperationException($"{log.Where}: instance {log.InstanceId} could not register its lease");
                }
            }
            catch
            {
                await log.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            return log;
        }).GetAwaiter().GetResult();
    }
}
