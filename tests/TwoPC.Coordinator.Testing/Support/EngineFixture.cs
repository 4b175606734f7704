using Microsoft.Extensions.Options;
using NSubstitute;
using TwoPC.Coordinator.Diagnostics;
using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Protocols;
using TwoPC.Coordinator.Protocols.TwoPhase;
using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Storage.InMemory;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Tests.Support;

/// <summary>The real engine over an in-memory disk and substitute participants (unit seam only).</summary>
public sealed class EngineFixture : IDisposable
{
    public EngineFixture(Action<CoordinatorOptions>? configure = null, TimeProvider? time = null)
        : this(null, configure, time)
    {
    }

    /// <summary>The engine over <paramref name="log"/> (e.g. one instance's connection to a shared log) instead of <see cref="Log"/>.</summary>
    public EngineFixture(ITransactionLog? log, Action<CoordinatorOptions>? configure = null, TimeProvider? time = null)
    {
        EngineLog = log ?? Log;
        Options = new CoordinatorOptions
        {
            RetryInitialDelay = TimeSpan.FromMilliseconds(1),
            RetryMaxDelay = TimeSpan.FromMilliseconds(5),
            DefaultTimeout = TimeSpan.FromSeconds(10),
        };
        configure?.Invoke(Options);
        Engine = new EngineServices(EngineLog, Table, Participants, Microsoft.Extensions.Options.Options.Create(Options), time ?? TimeProvider.System, new CoordinatorMetrics(), Logger);
        TwoPhase = new TwoPhaseCommitProcessor(Engine);
        Manager = new TransactionManager(Engine, TwoPhase);
    }

    public CoordinatorOptions Options { get; }

    /// <summary>What the engine logged.</summary>
    public RecordingLogger<EngineServices> Logger { get; } = new();

    public InMemoryTransactionLog Log { get; } = new();

    /// <summary>The log the engine writes: <see cref="Log"/> unless another was given.</summary>
    public ITransactionLog EngineLog { get; }

    public TransactionTable Table { get; } = new();

    public IParticipantClient Participants { get; } = Substitute.For<IParticipantClient>();

    public EngineServices Engine { get; }

    public TwoPhaseCommitProcessor TwoPhase { get; }

    public TransactionManager Manager { get; }

    /// <summary>Begins a 2PC transaction with <paramref name="branches"/> branches on participants p1, p2, ...</summary>
    public async Task<string> BeginWithBranchesAsync(int branches, TimeSpan? timeout = null)
    {
        var tx = await Manager.BeginAsync(TransactionMode.TwoPhase, timeout, null, null, CancellationToken.None);
        for (var i = 1; i <= branches; i++)
            await Manager.EnlistAsync(tx.Id, $"http://127.0.0.1:{5000 + i}", $"r{i}", [(byte)i], null, CancellationToken.None);
        return tx.Id;
    }

    public void AllVote(Vote vote) =>
        Participants.PrepareAsync(default!, default!, default, default, default)
            .ReturnsForAnyArgs(ci => new PrepareReply(vote, vote == Vote.Abort ? "no" : null, ci.ArgAt<bool>(2) ? vote != Vote.Abort : null));

    /// <summary>Waits (bounded) until the transaction is finished and gone from the live table.</summary>
    public async Task<TransactionRecord> WaitFinishedAsync(string id)
    {
        if (Table.TryGet(id, out var handle)) await handle.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (Table.TryGet(id, out _)) await Task.Delay(1, cts.Token);
        return (await EngineLog.GetAsync(id, CancellationToken.None))!;
    }

    public void Dispose() => Engine.Stop();
}
