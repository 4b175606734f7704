using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TwoPC.Coordinator.Diagnostics;
using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Storage.LiteDb;

namespace TwoPC.Coordinator.Hosting;

/// <summary>
/// Logs once at start which decision log this coordinator runs: the absolute data path and the log identity, so an
/// operator can see at a glance whether a restarted coordinator came back on its own log (presumed abort is only
/// true in that log).
/// </summary>
internal sealed class DecisionLogAnnouncer(ITransactionLog log, ILogger<DecisionLogAnnouncer> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var where = log is LiteDbTransactionLog liteDb ? liteDb.Committer.DataPath : log.GetType().Name;
        CoordinatorLog.LogOpened(logger, where, log.LogId);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
