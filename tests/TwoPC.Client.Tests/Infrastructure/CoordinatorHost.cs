using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace TwoPC.Client.Tests.Infrastructure;

/// <summary>A real coordinator (its LiteDB decision log in a temp file) on Kestrel, HTTP/2 on 127.0.0.1.</summary>
internal sealed class CoordinatorHost : IAsyncDisposable
{
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), $"twopc-client-tests-{Guid.NewGuid():N}.db");
    private KestrelHost? _host;

    public Uri Address => _host!.Address;

    public static async Task<CoordinatorHost> StartAsync()
    {
        var coordinator = new CoordinatorHost();
        coordinator._host = await KestrelHost.StartAsync(
            s => s.AddTwoPcCoordinator(o =>
            {
                o.DataPath = coordinator._dataPath;
                o.RetryInitialDelay = TimeSpan.FromMilliseconds(5);
                o.RetryMaxDelay = TimeSpan.FromMilliseconds(50);
            }),
            app => app.MapTwoPcCoordinator());
        return coordinator;
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
        foreach (var f in Directory.GetFiles(Path.GetDirectoryName(_dataPath)!, Path.GetFileNameWithoutExtension(_dataPath) + "*")) File.Delete(f);
    }
}
