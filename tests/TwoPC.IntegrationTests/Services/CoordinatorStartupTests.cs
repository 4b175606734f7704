using System.Security.Cryptography;
using TwoPC.IntegrationTests.Support;

namespace TwoPC.IntegrationTests.Services;

/// <summary>A coordinator whose data file is corrupt or in use refuses to start, says why, and touches nothing.</summary>
public sealed class CoordinatorStartupTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "twopc-it", Guid.NewGuid().ToString("N"));

    public CoordinatorStartupTests() => Directory.CreateDirectory(_dir);

    [Fact]
    public async Task CorruptDataFile_StopsStartup_WithAClearError_AndIsLeftUnchanged()
    {
        var path = Path.Combine(_dir, "coordinator.db");
        var garbage = new byte[32 * 1024];
        new Random(42).NextBytes(garbage);
        await File.WriteAllBytesAsync(path, garbage);
        using var coordinator = ServiceProcess.Coordinator(_dir);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(coordinator.StartAsync);

        Assert.Contains("cannot be opened as a LiteDB database", error.Message);
        Assert.Equal(SHA256.HashData(garbage), SHA256.HashData(await File.ReadAllBytesAsync(path)));
    }

    [Fact]
    public async Task DataFileInUseByAnotherCoordinator_StopsTheSecond_AndTheFirstKeepsWorking()
    {
        using var first = ServiceProcess.Coordinator(_dir);
        await first.StartAsync();
        using var second = ServiceProcess.Coordinator(_dir);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(second.StartAsync);

        Assert.Contains("in use by another process", error.Message);
        Assert.False(first.HasExited);
        var stats = await first.StatsAsync();
        Assert.NotNull(stats);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }
    }
}
