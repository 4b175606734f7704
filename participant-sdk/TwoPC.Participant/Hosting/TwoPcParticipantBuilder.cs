using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TwoPC.Client.Serialization;
using TwoPC.Participant.Resources;

namespace TwoPC.Participant.Hosting;

internal sealed class TwoPcParticipantBuilder : ITwoPcParticipantBuilder
{
    public TwoPcParticipantBuilder(IServiceCollection services) => Services = services;

    public IServiceCollection Services { get; }

    public ITwoPcParticipantBuilder AddResource<T>(string name) where T : class, ITransactionalResource =>
        Add<T>(name, ResourceKind.Transactional);

    public ITwoPcParticipantBuilder AddSagaStep<T>(string name) where T : class, ISagaStepResource =>
        Add<T>(name, ResourceKind.SagaStep);

    public ITwoPcParticipantBuilder AddResource<TResource, TPayload>(string name) where TResource : class, ITransactionalResource<TPayload>
    {
        Services.TryAddSingleton<TResource>();
        return Add<TypedTransactionalResource<TResource, TPayload>>(name, ResourceKind.Transactional);
    }

    public ITwoPcParticipantBuilder AddSagaStep<TStep, TAction, TCompensation>(string name) where TStep : class, ISagaStepResource<TAction, TCompensation>
    {
        Services.TryAddSingleton<TStep>();
        return Add<TypedSagaStepResource<TStep, TAction, TCompensation>>(name, ResourceKind.SagaStep);
    }

    public ITwoPcParticipantBuilder UseSerializer(ITwoPcSerializer serializer)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        Services.Replace(ServiceDescriptor.Singleton(serializer));
        return this;
    }

    private TwoPcParticipantBuilder Add<T>(string name, ResourceKind kind) where T : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Services.TryAddSingleton<T>();
        Services.AddSingleton(new ResourceRegistration(name, typeof(T), kind));
        return this;
    }
}
