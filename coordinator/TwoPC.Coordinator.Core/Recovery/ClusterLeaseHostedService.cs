using Microsoft.Extensions.Hosting;
using TwoPC.Coordinator.Diagnostics;
using TwoPC.Coordinator.Protocols;
using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Recovery;

/// <summary>
/// Cluster mode (a <see cref="IClusteredTransactionLog"/>): renews this instance's lease every
/// <see cref="CoordinatorOptions.LeaseRenewInterval"/> and, every <see cref="CoordinatorOptions.TakeoverScanInterval"/>,
/// claims and resumes the unfinished transactions of instances whose lease expired. When the lease is lost (refused
/// by the log, or not renewed for a whole <see cref="CoordinatorOptions.LeaseDuration"/> by this process's clock) the
/// instance stops: its writes are fenced by the log anyway, and its memory may describe transactions another
/// instance now owns. Does nothing with a single-instance log.
/// </summary>
internal sealed class ClusterLeaseHostedService(TransactionManager manager, EngineServices engine, IHostApplicationLifetime? lifetime = null) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (engine.Log is not IClusteredTransactionLog cluster) return;
        var options = engine.Options;
        CoordinatorLog.LeaseAcquired(engine.Logger, cluster.InstanceId, options.LeaseDuration, cluster.LogId);
        var tick = TimeSpan.FromTicks(Math.Min(options.LeaseRenewInterval.Ticks, options.TakeoverScanInterval.Ticks));
        var lastRenewed = engine.Time.GetTimestamp();
        var lastScan = engine.Time.GetTimestamp();
        using var timer = new PeriodicTimer(tick, engine.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (engine.Time.GetElapsedTime(lastRenewed) >= options.LeaseRenewInterval - tick / 2)
                {
                    try
                    {
                        if (!await cluster.RenewLeaseAsync(options.LeaseDuration, options.AdvertisedAddress ?? "", stoppingToken).ConfigureAwait(false))
                        {
                            Lost(cluster, "the shared log refused the renewal: the lease had expired");
                            return;
                        }

                        lastRenewed = engine.Time.GetTimestamp();
                    }
                    catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                    {
                        CoordinatorLog.LeaseRenewFailed(engine.Logger, cluster.InstanceId, ex);
                        if (engine.Time.GetElapsedTime(lastRenewed) >= options.LeaseDuration)
                        {
                            Lost(cluster, $"no renewal succeeded for {options.LeaseDuration}");
                            return;
                        }
                    }
                }

                if (engine.Time.GetElapsedTime(lastScan) >= options.TakeoverScanInterval - tick / 2)
                {
                    lastScan = engine.Time.GetTimestamp();
                    try
                    {
                        await manager.ClaimOrphansAsync(stoppingToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                    {
                        CoordinatorLog.ClaimFailed(engine.Logger, ex);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Lost(IClusteredTransactionLog cluster, string why)
    {
        CoordinatorLog.LeaseLost(engine.Logger, cluster.InstanceId, why);
        engine.Stop();
        lifetime?.StopApplication();
    }
}
