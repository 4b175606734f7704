namespace TwoPC.Participant.Tests.Infrastructure;

/// <summary>A test class with a stub coordinator on a real Kestrel host and a temp folder, around each test.</summary>
public abstract class StubCoordinatorTest : IAsyncLifetime
{
    private protected TempDirectory Dir { get; } = new();

    private protected StubCoordinator Coordinator { get; private set; } = null!;

    public async Task InitializeAsync() => Coordinator = await StubCoordinator.StartAsync();

    public async Task DisposeAsync()
    {
        await Coordinator.DisposeAsync();
        Dir.Dispose();
    }
}
