using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TwoPC.Participant.Diagnostics;
using TwoPC.Participant.Hosting;
using TwoPC.Participant.Resources;
using TwoPC.Participant.Storage;

namespace TwoPC.Participant.TwoPhase;

/// <summary>
/// The participant side of two-phase commit: Prepare, Commit and Abort of one branch, serialized per branch,
/// with every answer backed by a record in the participant's store.
/// </summary>
internal sealed partial class BranchEngine
{
    private readonly IParticipantStore _store;
    private readonly HandlerRegistry _registry;
    private readonly ParticipantCounters _counters;
    private readonly TimeProvider _time;
    private readonly ILogger<BranchEngine> _logger;
    private readonly ParticipantOptions _options;
    private readonly KeyedLock _locks = new();

    public BranchEngine(
        IParticipantStore store,
        HandlerRegistry registry,
        ParticipantCounters counters,
        TimeProvider time,
        IOptions<ParticipantOptions> options,
        ILogger<BranchEngine> logger)
    {
        _store = store;
        _registry = registry;
        _counters = counters;
        _time = time;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>Crash-test fault point: kills the process with SIGKILL when configured (never by default).</summary>
    private void Fault(string point, string transactionId)
    {
        if (_options.FaultPoints.Count == 0 || !_options.FaultPoints.TryGetValue(point, out var action) || action != "Crash") return;
        Console.Error.WriteLine($"FAULT {point} crash tx={transactionId}");
        System.Diagnostics.Process.GetCurrentProcess().Kill();
    }

    /// <summary>Reads the record of a branch (for recovery and tests).</summary>
    public BranchRecord? Find(string transactionId, int branchId) => BranchLog.Find(_store.Database, transactionId, branchId);

    private static void ValidateBranch(string transactionId, int branchId)
    {
        Validation.RequireId(transactionId, "transaction_id");
        Validation.RequireBranchId(branchId);
    }

    private ITransactionalResource RequireResource(string name) =>
        _registry.FindResource(name)
        ?? throw new ParticipantException(ParticipantErrorKind.NotFound, $"resource '{name}' is not hosted by this participant.");

    /// <summary>Runs a durable write; storage failures become transient errors after being logged.</summary>
    private async Task WriteAsync(Action<LiteDB.LiteDatabase> write, bool force, string operation, string transactionId, CancellationToken cancellationToken)
    {
        try
        {
            // Not cancellable: by now the resource has run and may have changed its in-memory state; abandoning the
            // record write because the caller went away (the coordinator crashed mid-call) would let a retry run the
            // resource a second time. The write is short (group commit); the caller's token is deliberately ignored.
            _ = cancellationToken;
            await _store.Committer.WriteAsync(write, force, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Some, none or all of the write may be durable: nothing is answered from memory; the next call reloads.
            ParticipantLog.StorageFailed(_logger, ex, operation, transactionId);
            throw ParticipantException.Transient($"{operation}: the local write failed", ex);
        }
    }

    /// <summary>Makes sure a record read from the database is on disk before it is used in an answer.</summary>
    private Task FlushAsync(string transactionId, CancellationToken cancellationToken) =>
        WriteAsync(static _ => { }, force: true, "flush", transactionId, cancellationToken);

    private async ValueTask CallResourceAsync(Func<ValueTask> call, string resource, string operation, string transactionId, int branchId, CancellationToken cancellationToken)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            ParticipantLog.ResourceFailed(_logger, ex, resource, operation, transactionId, branchId);
            throw ParticipantException.Transient($"resource '{resource}' failed in {operation}", ex);
        }
    }
}
