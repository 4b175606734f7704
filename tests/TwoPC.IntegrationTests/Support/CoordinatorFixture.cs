namespace TwoPC.IntegrationTests.Support;

/// <summary>One coordinator process shared by a test class (for tests that don't crash it).</summary>
public class CoordinatorFixture : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "twopc-it", Guid.NewGuid().ToString("N"));

    internal ServiceProcess Coordinator { get; private set; } = null!;

    /// <summary>Extra command-line settings for the coordinator.</summary>
    protected virtual string[] Arguments => [];

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        Coordinator = ServiceProcess.Coordinator(_dir, Arguments);
        await Coordinator.StartAsync();
    }

    public Task DisposeAsync()
    {
        Coordinator.Dispose();
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }

        return Task.CompletedTask;
    }
}
