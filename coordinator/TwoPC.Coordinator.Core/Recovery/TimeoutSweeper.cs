using Microsoft.Extensions.Hosting;
using TwoPC.Coordinator.Diagnostics;
using TwoPC.Coordinator.Protocols;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Recovery;

/// <summary>
/// Aborts undecided transactions past their deadline, and forgets old finished ones. A failure of either is logged
/// and the loop goes on: an exception escaping a hosted service would stop the whole coordinator.
/// </summary>
internal sealed class TimeoutSweeper(TransactionManager manager, EngineServices engine) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lastForget = engine.Now;
        using var timer = new PeriodicTimer(engine.Options.TimeoutCheckInterval, engine.Time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            await RunAsync("aborting expired transactions", manager.AbortExpiredAsync, stoppingToken).ConfigureAwait(false);
            if (engine.Now - lastForget >= TimeSpan.FromMinutes(1))
            {
                lastForget = engine.Now;
                await RunAsync("forgetting finished transactions", manager.ForgetAsync, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task RunAsync(string work, Func<CancellationToken, Task> sweep, CancellationToken stoppingToken)
    {
        try
        {
            await sweep(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            CoordinatorLog.SweepFailed(engine.Logger, work, ex);
        }
    }
}
