using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TwoPC.Participant.Client;
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
/// Outcomes go through <see cref="BranchEngine"/>, the same path as the gRPC Commit/Abort.
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
        _atStart = BranchLog.FindPrepared(_store.Database);
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
                var now = _time.GetUtcNow();
                foreach (var record in BranchLog.FindPrepared(_store.Database))
                {
                    if (now - record.PreparedAt >= _options.InDoubtCheckAfter) Resolve(record, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await Task.WhenAll(_active.Values).ConfigureAwait(false);
    }

    private void Resolve(BranchRecord record, CancellationToken stoppingToken)
    {
        if (_active.ContainsKey(record.Key)) return;
        var task = Task.Run(() => ResolveAsync(record, stoppingToken), CancellationToken.None);
        if (!_active.TryAdd(record.Key, task)) return;
        _ = task.ContinueWith(_ => _active.TryRemove(record.Key, out Task? _), CancellationToken.None,
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
                if (_engine.Find(record.TransactionId, record.BranchId)?.Status != BranchStatus.Prepared) return;
                var detail = await TryResolveOnceAsync(record, address, stoppingToken).ConfigureAwait(false);
                if (detail is null) return;
                var delay = Backoff.Delay(attempt, _options.InDoubtRetryInitial, _options.InDoubtRetryMax, _random);
                _counters.Add(ParticipantCounters.InDoubtRetries);
                ParticipantLog.InDoubtRetry(_logger, record.TransactionId, record.BranchId, detail, delay);
                await Task.Delay(delay, _time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One attempt; returns null when resolved, otherwise why not.</summary>
    private async Task<string?> TryResolveOnceAsync(BranchRecord record, string? address, CancellationToken stoppingToken)
    {
        if (address is null) return "no coordinator address in the record or the options";
        try
        {
            var request = new P.GetTransactionRequest { TransactionId = record.TransactionId, ResolveInDoubt = true };
            var info = await _channels.Get(address).GetTransactionAsync(request,
                deadline: DateTime.UtcNow + _options.InDoubtRetryMax, cancellationToken: stoppingToken).ResponseAsync.ConfigureAwait(false);
            var decision = InDoubtClassifier.Classify(info);
            if (decision == InDoubtDecision.Pending) return "coordinator state " + info.State;
            var command = new BranchCommand(record.TransactionId, record.BranchId, record.Resource);
            var outcome = decision == InDoubtDecision.Commit
                ? await _engine.CommitAsync(command, stoppingToken).ConfigureAwait(false)
                : await _engine.AbortAsync(command, stoppingToken).ConfigureAwait(false);
            _counters.Add(ParticipantCounters.InDoubtResolved);
            ParticipantLog.InDoubtResolved(_logger, record.TransactionId, record.BranchId, outcome.ToString());
            return null;
        }
        catch (RpcException ex) when (!stoppingToken.IsCancellationRequested)
        {
            return "coordinator error " + ex.StatusCode;
        }
        catch (ParticipantException ex)
        {
            return ex.Message;
        }
    }
}
