using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using TwoPC.Durability;
using TwoPC.Participant.Hosting;
using TwoPC.Participant.LiteDb;
using TwoPC.Participant.Storage;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the LiteDB participant store.</summary>
public static class LiteDbParticipantBuilderExtensions
{
    /// <summary>
    /// Keeps the participant's records in a LiteDB file (the embedded default: nothing to install). The store is also
    /// registered as <see cref="LiteDbParticipantStore"/>, for the service's reads of its own data. Options are
    /// validated when the host starts.
    /// </summary>
    public static ITwoPcParticipantBuilder UseLiteDbStore(this ITwoPcParticipantBuilder builder, Action<LiteDbParticipantStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<LiteDbParticipantStoreOptions>().Configure(configure)
            .Validate(o => !string.IsNullOrWhiteSpace(o.DataPath), "LiteDbParticipantStoreOptions.DataPath is required (the participant's LiteDB file).")
            .ValidateOnStart();
        services.TryAddSingleton<IFileFlusher, FdatasyncFileFlusher>();
        services.TryAddSingleton<LiteDbParticipantStore>();
        services.Replace(ServiceDescriptor.Singleton<IParticipantStore>(sp => sp.GetRequiredService<LiteDbParticipantStore>()));
        return builder;
    }
}
