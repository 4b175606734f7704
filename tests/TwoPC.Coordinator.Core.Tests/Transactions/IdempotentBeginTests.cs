using Microsoft.Extensions.Logging.Abstractions;
using TwoPC.Coordinator.Diagnostics;
using TwoPC.Coordinator.Protocols;
using TwoPC.Coordinator.Protocols.TwoPhase;
using TwoPC.Coordinator.Tests.Support;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Tests.Transactions;

/// <summary>A 2PC Begin idempotency key maps to the same transaction for as long as the log remembers it.</summary>
public sealed class IdempotentBeginTests : IDisposable
{
    private readonly EngineFixture _f = new();

    /// <summary>A manager over the same log with an empty live table: the state after a restart.</summary>
    private TransactionManager Restarted()
    {
        var engine = new EngineServices(_f.Log, new TransactionTable(), _f.Participants, Microsoft.Extensions.Options.Options.Create(_f.Options),
            TimeProvider.System, new CoordinatorMetrics(), NullLogger<EngineServices>.Instance);
        return new TransactionManager(engine, new TwoPhaseCommitProcessor(engine));
    }

    [Fact]
    public async Task Begin_SameKeyAfterRestart_ReturnsTheCommittedTransaction()
    {
        _f.AllVote(Vote.Prepared);
        var first = await _f.Manager.BeginAsync(TransactionMode.TwoPhase, null, "pay-7", [new("http://127.0.0.1:5001", "a", [1], null), new("http://127.0.0.1:5002", "b", [2], null)], CancellationToken.None);
        Assert.True((await _f.Manager.CommitAsync(first.Id, waitForCompletion: true, CancellationToken.None)).Committed);
        _f.Log.Crash();

        var again = await Restarted().BeginAsync(TransactionMode.TwoPhase, null, "pay-7", null, CancellationToken.None);

        Assert.Equal(first.Id, again.Id);
        Assert.True(again.State.IsCommitDecided(), again.State.ToString());
        Assert.Equal([1, 2], again.Branches.Select(b => b.BranchId));
    }

    [Fact]
    public async Task Begin_SameKeyAfterRestart_OfAnUndecidedTransaction_IsANewTransaction()
    {
        var first = await _f.Manager.BeginAsync(TransactionMode.TwoPhase, null, "pay-8", null, CancellationToken.None);
        _f.Log.Crash();

        var again = await Restarted().BeginAsync(TransactionMode.TwoPhase, null, "pay-8", null, CancellationToken.None);

        Assert.NotEqual(first.Id, again.Id);
        Assert.Equal(TransactionState.Active, again.State);
    }

    [Fact]
    public async Task Begin_ConcurrentRetriesAfterRestart_AllGetTheSameTransaction()
    {
        _f.AllVote(Vote.Prepared);
        var first = await _f.Manager.BeginAsync(TransactionMode.TwoPhase, null, "pay-9", [new("http://127.0.0.1:5001", "a", [1], null), new("http://127.0.0.1:5002", "b", [2], null)], CancellationToken.None);
        await _f.Manager.CommitAsync(first.Id, waitForCompletion: true, CancellationToken.None);
        var restarted = Restarted();

        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => restarted.BeginAsync(TransactionMode.TwoPhase, null, "pay-9", null, CancellationToken.None))));

        Assert.All(answers, a => Assert.Equal(first.Id, a.Id));
    }

    [Fact]
    public async Task Begin_ConcurrentFirstBegins_WithOneKey_CreateOneTransaction()
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => _f.Manager.BeginAsync(TransactionMode.TwoPhase, null, "pay-10", null, CancellationToken.None))));

        Assert.Single(answers.Select(a => a.Id).Distinct());
        Assert.Equal(1, _f.Table.Count);
    }

    public void Dispose() => _f.Dispose();
}
