using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TwoPC.Participant.Resources;

namespace TwoPC.Participant.Hosting;

internal sealed class TwoPcParticipantBuilder : ITwoPcParticipantBuilder
{
    public TwoPcParticipantBuilder(IServiceCollection services) => Services = services;

    public IServiceCollection Services { get; }

    public ITwoPcParticipantBuilder AddResource<T>(string name) where T : class, ITransactionalResource =>
        Add<T>(name, HandlerKind.Resource);

    public ITwoPcParticipantBuilder AddSagaStep<T>(string name) where T : class, ISagaStepHandler =>
        Add<T>(name, HandlerKind.SagaStep);

    private TwoPcParticipantBuilder Add<T>(string name, HandlerKind kind) where T : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Services.TryAddSingleton<T>();
        Services.AddSingleton(new HandlerRegistration(name, typeof(T), kind));
        return this;
    }
}
