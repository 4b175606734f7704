namespace TwoPC.Participant.Tests.Infrastructure;

/// <summary>A test class with one real participant host on a fresh LiteDB file, started and stopped around each test.</summary>
public abstract class HostedParticipantTest : IAsyncLifetime
{
    private protected TempDirectory Dir { get; } = new();

    private protected ParticipantHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await ParticipantHost.StartAsync(Dir.File("p.db"));

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        Dir.Dispose();
    }
}
