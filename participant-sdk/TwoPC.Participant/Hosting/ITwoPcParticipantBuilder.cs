using Microsoft.Extensions.DependencyInjection;
using TwoPC.Participant.Resources;

namespace TwoPC.Participant.Hosting;

/// <summary>Adds resources and saga steps to the participant registered by <c>AddTwoPcParticipant</c>.</summary>
public interface ITwoPcParticipantBuilder
{
    /// <summary>The service collection.</summary>
    IServiceCollection Services { get; }

    /// <summary>Hosts the 2PC resource <typeparamref name="T"/> (a singleton) under <paramref name="name"/>.</summary>
    ITwoPcParticipantBuilder AddResource<T>(string name) where T : class, ITransactionalResource;

    /// <summary>Hosts the saga step handler <typeparamref name="T"/> (a singleton) under <paramref name="name"/>.</summary>
    ITwoPcParticipantBuilder AddSagaStep<T>(string name) where T : class, ISagaStepHandler;
}
