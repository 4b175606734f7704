using Microsoft.Extensions.DependencyInjection;
using TwoPC.Client.Serialization;
using TwoPC.Participant.Resources;

namespace TwoPC.Participant.Hosting;

/// <summary>Adds resources and saga steps to the participant registered by <c>AddTwoPcParticipant</c>.</summary>
public interface ITwoPcParticipantBuilder
{
    /// <summary>The service collection.</summary>
    IServiceCollection Services { get; }

    /// <summary>Hosts the 2PC resource <typeparamref name="T"/> (a singleton) under <paramref name="name"/>.</summary>
    ITwoPcParticipantBuilder AddResource<T>(string name) where T : class, ITransactionalResource;

    /// <summary>Hosts the saga step resource <typeparamref name="T"/> (a singleton) under <paramref name="name"/>.</summary>
    ITwoPcParticipantBuilder AddSagaStep<T>(string name) where T : class, ISagaStepResource;

    /// <summary>
    /// Hosts the typed 2PC resource <typeparamref name="TResource"/> (a singleton) under <paramref name="name"/>; its
    /// payloads are read as <typeparamref name="TPayload"/> with the participant's serializer.
    /// </summary>
    ITwoPcParticipantBuilder AddResource<TResource, TPayload>(string name) where TResource : class, ITransactionalResource<TPayload>;

    /// <summary>
    /// Hosts the typed saga step resource <typeparamref name="TStep"/> (a singleton) under <paramref name="name"/>; its
    /// action and compensation payloads are read as <typeparamref name="TAction"/> and <typeparamref name="TCompensation"/>.
    /// </summary>
    ITwoPcParticipantBuilder AddSagaStep<TStep, TAction, TCompensation>(string name) where TStep : class, ISagaStepResource<TAction, TCompensation>;

    /// <summary>
    /// Reads and writes typed payloads with <paramref name="serializer"/> instead of <see cref="TwoPcSerializer.Default"/>
    /// (protobuf messages binary, other types JSON). Clients must write the same encoding.
    /// </summary>
    ITwoPcParticipantBuilder UseSerializer(ITwoPcSerializer serializer);
}
