using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TwoPC.Client.Serialization;
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
    private readonly ResourceRegistry _registry;
    private readonly ParticipantCounters _counters;
    private readonly TimeProvider _time;
    private readonly ILogger<BranchEngine> _logger;
    private readonly ParticipantOptions _options;
    private readonly Dictionary<string, string> _faultPoints;
    private readonly ITwoPcSerializer _serializer;
    private readonly KeyedLock _locks = new();

    public BranchEngine(
        IParticipantStore store,
        ResourceRegistry registry,
        ParticipantCounters counters,
        TimeProvider time,
        IOptions<ParticipantOptions> options,
        IOptions<ParticipantFaultOptions> faults,
        ITwoPcSerializer serializer,
        ILogger<BranchEngine> logger)
    {
        _store = store;
        _registry = registry;
        _counters = counters;
        _time = time;
        _options = options.Value;
        _faultPoints = faults.Value.FaultPoints;
        _serializer = serializer;
        _logger = logger;
    }

    /// <summary>Crash-test fault point: kills the process with SIGKILL when configured (never by default).</summary>
    private void Fault(string point, string transactionId)
    {
        if (_faultPoints.Count == 0 || !_faultPoints.TryGetValue(point, out var action) || action != "Crash") return;
        Console.Error.WriteLine($"FAULT {point} crash tx={transactionId}");
        System.Diagnostics.Process.GetCurrentProcess().Kill();
    }

    /// <summary>Reads the record of a branch (for recovery and tests).</summary>
    public ValueTask<BranchRecord?> FindAsync(string transactionId, int branchId, CancellationToken cancellationToken) =>
        _store.FindBranchAsync(transactionId, branchId, cancellationToken);

    private static void ValidateBranch(string transactionId, int branchId)
    {
        Validation.RequireId(transactionId, "transaction_id");
        Validation.RequireBranchId(branchId);
    }

    private ITransactionalResource RequireResource(string name) =>
        _registry.FindResource(name)
        ?? throw new ParticipantException(ParticipantErrorKind.NotFound, $"resource '{name}' is not hosted by this participant.");

    /// <summary>
    /// Runs a durable write; failures become transient errors after being logged. <paramref name="resourceRan"/>: the
    /// write records what a resource callback just did, so any failure stops the store (see <see cref="StoreWrites"/>).
    /// </summary>
    private Task WriteAsync(StoreWrite write, bool resourceRan, string operation, string transactionId) =>
        StoreWrites.WriteAsync(_store, _logger, write, resourceRan, operation, transactionId);

    /// <summary>
    /// Writes <paramref name="record"/> again, forced, before a duplicate call is answered from it. A bare flush would
    /// not do: after a failed fdatasync a later flush succeeds without writing the lost pages, so only a rewrite
    /// proves the record is on disk.
    /// </summary>
    private Task RewriteAsync(BranchRecord record, string operation) =>
        WriteAsync(new StoreWrite { Force = true, Branch = record }, resourceRan: false, operation, record.TransactionId);

    private async ValueTask CallResourceAsync(Func<ValueTask> call, string resource, string operation, string transactionId, int branchId, CancellationToken cancellationToken)
    {
        // Never call a resource again once a write failed: its memory may hold an effect whose record is not on disk.
        StoreWrites.RequireWorking(_store);
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
