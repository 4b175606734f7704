using Microsoft.Extensions.Hosting;
using TwoPC.Coordinator.Protocols;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Recovery;

/// <summary>
/// Loads unfinished transactions before the server accepts calls (hosted services start before Kestrel), so a
/// participant's in-doubt question is never answered from an empty table; then resumes them in the background.
/// On stop (before the host disposes the decision log), cancels background drivers and waits for them, bounded by the
/// host's shutdown token: whatever they had not finished is resumed after the next start.
/// </summary>
internal sealed class RecoveryHostedService(TransactionManager manager, EngineServices engine, IEnumerable<ITransactionProcessor> processors) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var processor in processors) manager.Register(processor);
        await manager.RecoverAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => engine.StopAsync(cancellationToken);
}
