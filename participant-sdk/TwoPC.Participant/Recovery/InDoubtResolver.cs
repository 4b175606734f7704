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
/// Each round asks the instance the prepared record names first; an instance that is not the owner and names it is
/// followed (at most <see cref="CoordinatorFailures.MaxRedirects"/> times), and one that cannot answer passes the
/// question to <see cref="ParticipantOptions.CoordinatorAddress"/> and then <see cref="ParticipantOptions.CoordinatorAddresses"/>
/// in order. "Pending" is an answer too: the round ends and the branch is asked again.
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
        var addresses = AddressesFor(record);
        ParticipantLog.InDoubtFound(_logger, record.TransactionId, record.BranchId, addresses.Count == 0 ? "(none)" : string.Join(", ", addresses));
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                string? detail;
                string? mismatch = null;
                string? answeredBy = null;
                try
                {
                    if ((await _engine.FindAsync(record.TransactionId, record.BranchId, stoppingToken).ConfigureAwait(false))?.Status != BranchStatus.Prepared) return;
                    (detail, mismatch, answeredBy) = await TryResolveOnceAsync(record, addresses, stoppingToken).ConfigureAwait(false);
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
                    ParticipantLog.InDoubtLogMismatch(_logger, record.TransactionId, record.BranchId, record.LogId, answeredBy ?? "(unknown)", mismatch, delay);
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
    /// The instances to ask about <paramref name="record"/>, in order: the one that sent Prepare, then the configured
    /// ones, each once.
    /// </summary>
    private List<Uri> AddressesFor(BranchRecord record)
    {
        var all = new List<Uri>();
        if (Uri.TryCreate(record.CoordinatorAddress, UriKind.Absolute, out var recorded)) all.Add(recorded);
        foreach (var address in _options.CoordinatorAddresses.Prepend(_options.CoordinatorAddress))
        {
            if (address is not null && !all.Exists(a => CoordinatorFailures.SameInstance(a, address))) all.Add(address);
        }

        return all;
    }

    /// <summary>
    /// One round: asks the instances in turn until one answers. Returns a null detail when resolved, otherwise why
    /// not; with a log mismatch, the identity of the log the coordinator answered from and the instance that did.
    /// </summary>
    private async Task<(string? Detail, string? MismatchLogId, string? AnsweredBy)> TryResolveOnceAsync(BranchRecord record, List<Uri> addresses,
        CancellationToken stoppingToken)
    {
        if (addresses.Count == 0) return ("no coordinator address in the record or the options", null, null);
        var request = new P.GetTransactionRequest { TransactionId = record.TransactionId, ResolveInDoubt = true, LogId = record.LogId };
        var failures = new List<string>();
        var tried = new List<Uri>();
        var redirects = 0;
        for (Uri? target = addresses[0]; target is not null; target = addresses.Find(a => !tried.Exists(t => CoordinatorFailures.SameInstance(t, a))))
        {
            while (true)
            {
                tried.Add(target);
                P.TransactionInfo info;
                try
                {
                    info = await _channels.Get(target.ToString()).GetTransactionAsync(request,
                        deadline: _time.GetUtcNow().UtcDateTime + _options.InDoubtRetryMax, cancellationToken: stoppingToken).ResponseAsync.ConfigureAwait(false);
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition && ex.Trailers.GetValue(ErrorKindTrailer) == LogMismatch)
                {
                    return ("log mismatch: " + ex.Status.Detail, ex.Trailers.GetValue(LogIdTrailer) ?? "(not given)", target.ToString());
                }
                catch (RpcException ex) when (!stoppingToken.IsCancellationRequested)
                {
                    failures.Add($"{target}: coordinator error {ex.StatusCode}");
                    if (CoordinatorFailures.IsNotOwner(ex) && CoordinatorFailures.OwnerOf(ex, target) is { } owner && redirects < CoordinatorFailures.MaxRedirects)
                    {
                        redirects++;
                        target = owner;
                        continue;
                    }

                    // Down, not the owner without naming one, or any other failure: a read, so ask the next instance.
                    break;
                }

                return await ApplyAsync(record, info, stoppingToken).ConfigureAwait(false);
            }
        }

        return (string.Join("; ", failures), null, null);
    }

    /// <summary>Applies a coordinator's answer: commit or abort through the engine, or "pending" to ask again.</summary>
    private async Task<(string? Detail, string? MismatchLogId, string? AnsweredBy)> ApplyAsync(BranchRecord record, P.TransactionInfo info, CancellationToken stoppingToken)
    {
        var decision = InDoubtClassifier.Classify(info);
        if (decision == InDoubtDecision.Pending) return ("coordinator state " + info.State, null, null);
        try
        {
            var command = new BranchCommand(record.TransactionId, record.BranchId, record.Resource);
            var outcome = decision == InDoubtDecision.Commit
                ? await _engine.CommitAsync(command, stoppingToken).ConfigureAwait(false)
                : await _engine.AbortAsync(command, stoppingToken).ConfigureAwait(false);
            _counters.Add(ParticipantCounters.InDoubtResolved);
            ParticipantLog.InDoubtResolved(_logger, record.TransactionId, record.BranchId, outcome.ToString());
            return (null, null, null);
        }
        catch (ParticipantException ex)
        {
            return (ex.Message, null, null);
        }
    }
}
