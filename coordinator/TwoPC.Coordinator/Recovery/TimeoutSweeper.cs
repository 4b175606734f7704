using Microsoft.Extensions.Hosting;
using TwoPC.Coordinator.Protocols;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Recovery;

/// <summary>Aborts undecided transactions past their deadline, and forgets old finished ones.</summary>
internal sealed class TimeoutSweeper(TransactionManager manager, EngineServices engine) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lastForget = engine.Now;
        using var timer = new PeriodicTimer(engine.Options.TimeoutCheckInterval, engine.Time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            await manager.AbortExpiredAsync(stoppingToken).ConfigureAwait(false);
            if (engine.Now - lastForget >= TimeSpan.FromMinutes(1))
            {
                lastForget = engine.Now;
                await manager.ForgetAsync(stoppingToken).ConfigureAwait(false);
            }
        }
    }
}
