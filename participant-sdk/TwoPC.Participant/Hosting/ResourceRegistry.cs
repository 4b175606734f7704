using TwoPC.Participant.Resources;

namespace TwoPC.Participant.Hosting;

/// <summary>Looks up 2PC and saga step resources by name.</summary>
internal sealed class ResourceRegistry
{
    private readonly IServiceProvider _services;
    private readonly Dictionary<string, Type> _resources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Type> _sagaSteps = new(StringComparer.Ordinal);

    public ResourceRegistry(IServiceProvider services, IEnumerable<ResourceRegistration> registrations)
    {
        _services = services;
        foreach (var r in registrations)
        {
            var map = r.Kind == ResourceKind.Transactional ? _resources : _sagaSteps;
            if (!map.TryAdd(r.Name, r.Type)) throw new InvalidOperationException($"{r.Kind} '{r.Name}' is registered twice.");
        }
    }

    public IReadOnlyCollection<string> ResourceNames => _resources.Keys;

    public IReadOnlyCollection<string> SagaStepNames => _sagaSteps.Keys;

    public ITransactionalResource? FindResource(string name) =>
        _resources.TryGetValue(name, out var type) ? (ITransactionalResource)_services.GetService(type)! : null;

    public ISagaStepResource? FindSagaStep(string name) =>
        _sagaSteps.TryGetValue(name, out var type) ? (ISagaStepResource)_services.GetService(type)! : null;
}
