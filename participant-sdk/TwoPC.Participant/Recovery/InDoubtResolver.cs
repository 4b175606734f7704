using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TwoPC.Client;
using TwoPC.Participant.Diagnostics;
using TwoPC.Participant.Hosting;
using TwoPC.Participant.Storage;
using TwoPC.Participant.TwoPhase;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Participant.Recovery;

/// <summary>
/// Resolves in-doubt branches: at start, every branch still prepared gets <c>RecoverAsync</c> and is then resolved by
/// asking its coordinator; while running, branches prepared longer than <see cref="ParticipantOptions.InDoubtCheckAfter"/>
/// are resolved the same way. Each branch resolves on its own task, so one unreachable coordinator stalls nobody else.
/// Outcomes go through <see cref="BranchEngine"/>, the same path as the gRPC Commit/Abort. Each query carries the
/// decision-log identity the branch was prepared under; a coordinator on another log answers "log mismatch", and
/// the branch then stays prepared and is asked again (logged at Critical), never aborted on that answer.
/// The loop and each branch's task log unexpected errors and go on.
/// </summary>
internal sealed class InDoubtResolver : BackgroundService
{
    private readonly BranchEngine _engine;
    private readonly IParticipantStore _store;
    private readonly CoordinatorChannels _channels;
    private readonly ParticipantCounters _counters;
    private readonly TimeProvider _time;
    private readonly ParticipantOptions _options;
    private readonly ILogger<InDoubtResolver> _logger;
    private readonly ConcurrentDictionary<string, Task> _active = new(StringComparer.Ordinal);
    private readonly Random _random = new();
    private IReadOnlyList<BranchRecord> _atStart = Array.Empty<BranchRecord>();

    // The coordinator's answer when the branch's decision log is not its own (see ErrorMappingInterceptor there).
    private const string ErrorKindTrailer = "twopc-error";
    private const string LogMismatch = "log-mismatch";
    private const string LogIdTrailer = "twopc-log-id";

    public InDoubtResolver(BranchEngine engine, IParticipantStore store, CoordinatorChannels channels, ParticipantCounters counters,
        TimeProvider time, IOptions<ParticipantOptions> options, ILogger<InDoubtResolver> logger)
    {
        _engine = engine;
        _store = store;
        _channels = channels;
        _counters = counters;
        _time = time;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>Lets resources re-take their locks before the host starts serving.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        _atStart = await FindPreparedAsync(cancellationToken).ConfigureAwait(false);
        foreach (var record in _atStart)
        {
            try
            {
                await _engine.RecoverAsync(record, cancellationToken).ConfigureAwait(false);
            }
            catch (ParticipantException ex)
            {
                ParticipantLog.RecoverFailed(_logger, ex, record.Resource, record.TransactionId, record.BranchId);
            }
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var record in _atStart) Resolve(record, stoppingToken);
        var interval = TimeSpan.FromTicks(Math.Max(_options.InDoubtCheckAfter.Ticks / 4, TimeSpan.FromMilliseconds(10).Ticks));
        using var timer = new PeriodicTimer(interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    var now = _time.GetUtcNow();
                    foreach (var record in await FindPreparedAsync(stoppingToken).ConfigureAwait(false))
                    {
                        if (now - record.PreparedAt >= _options.InDoubtCheckAfter) Resolve(record, stoppingToken);
                    }
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    ParticipantLog.InDoubtScanFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            ParticipantLog.InDoubtScanStopped(_logger);
        }

        await Task.WhenAll(_active.Values).ConfigureAwait(false);
    }

    private ValueTask<IReadOnlyList<BranchRecord>> FindPreparedAsync(CancellationToken cancellationToken) =>
        _store.FindPreparedAsync((key, ex) => ParticipantLog.PreparedRecordUnreadable(_logger, ex, key), cancellationToken);

    private void Resolve(BranchRecord record, CancellationToken stoppingToken)
    {
        if (_active.ContainsKey(record.Key)) return;
        var task = Task.Run(() => ResolveAsync(record, stoppingToken), CancellationToken.None);
        if (!_active.TryAdd(record.Key, task)) return;
        _ = task.ContinueWith(t =>
        {
            _active.TryRemove(record.Key, out Task? _);
            if (t.Exception is { } failure) ParticipantLog.InDoubtResolverFaulted(_logger, failure.GetBaseException(), record.TransactionId, record.BranchId);
        }, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task ResolveAsync(BranchRecord record, CancellationToken stoppingToken)
    {
        var address = !string.IsNullOrEmpty(record.CoordinatorAddress) ? record.CoordinatorAddress : _options.CoordinatorAddress?.ToString();
        ParticipantLog.InDoubtFound(_logger, record.TransactionId, record.BranchId, address ?? "(none)");
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                string? detail;
                string? mismatch = null;
                try
                {
                    if ((await _engine.FindAsync(record.TransactionId, record.BranchId, stoppingToken).ConfigureAwait(false))?.Status != BranchStatus.Prepared) return;
                    (detail, mismatch) = await TryResolveOnceAsync(record, address, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    ParticipantLog.InDoubtResolveFailed(_logger, ex, record.TransactionId, record.BranchId);
                    detail = ex.Message;
                }

                if (detail is null) return;
                var delay = Backoff.Delay(attempt + 1, _options.InDoubtRetryInitial, _options.InDoubtRetryMax, _random);
                _counters.Add(ParticipantCounters.InDoubtRetries);
                if (mismatch is not null)
                {
                    _counters.Add(ParticipantCounters.InDoubtLogMismatches);
                    ParticipantLog.InDoubtLogMismatch(_logger, record.TransactionId, record.BranchId, record.LogId, address!, mismatch, delay);
                }
                else
                {
                    ParticipantLog.InDoubtRetry(_logger, record.TransactionId, record.BranchId, detail, delay);
                }

                await Task.Delay(delay, _time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            ParticipantLog.InDoubtResolveStopped(_logger, record.TransactionId, record.BranchId);
        }
    }

    /// <summary>
    /// One attempt; returns a null detail when resolved, otherwise why not, and with a log mismatch the identity of
    /// the log the coordinator answered from.
    /// </summary>
    private async Task<(string? Detail, string? MismatchLogId)> TryResolveOnceAsync(BranchRecord record, string? address, CancellationToken stoppingToken)
    {
        if (address is null) return ("no coordinator address in the record or the options", null);
        try
        {
            var request = new P.GetTransactionRequest { TransactionId = record.TransactionId, ResolveInDoubt = true, LogId = record.LogId };
            var info = await _channels.Get(address).GetTransactionAsync(request,
                deadline: _time.GetUtcNow().UtcDateTime + _options.InDoubtRetryMax, cancellationToken: stoppingToken).ResponseAsync.ConfigureAwait(false);
            var decision = InDoubtClassifier.Classify(info);
            if (decision == InDoubtDecision.Pending) return ("coordinator state " + info.State, null);
            var command = new BranchCommand(record.TransactionId, record.BranchId, record.Resource);
            var outcome = decision == InDoubtDecision.Commit
                ? await _engine.CommitAsync(command, stoppingToken).ConfigureAwait(false)
                : await _engine.AbortAsync(command, stoppingToken).ConfigureAwait(false);
            _counters.Add(ParticipantCounters.InDoubtResolved);
            ParticipantLog.InDoubtResolved(_logger, record.TransactionId, record.BranchId, outcome.ToString());
            return (null, null);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition && ex.Trailers.GetValue(ErrorKindTrailer) == LogMismatch)
        {
            return ("log mismatch: " + ex.Status.Detail, ex.Trailers.GetValue(LogIdTrailer) ?? "(not given)");
        }
        catch (RpcException ex) when (!stoppingToken.IsCancellationRequested)
        {
            return ("coordinator error " + ex.StatusCode, null);
        }
        catch (ParticipantException ex)
        {
            return (ex.Message, null);
        }
    }
}
