using NSubstitute;
using TwoPC.Coordinator.Tests.Support;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Tests.Transactions;

/// <summary>Begin carrying its branches (BeginRequest.branches): validated like Enlist, all or nothing.</summary>
public sealed class BeginWithBranchesTests : IDisposable
{
    private readonly EngineFixture _f = new(o => o.MaxBranches = 3);

    private static BranchSpec Good(int i) => new($"http://127.0.0.1:{5000 + i}", $"r{i}", [(byte)i], null);

    [Fact]
    public async Task Begin_WithBranches_EnlistsThemInOrder_AndCommits()
    {
        var tx = await _f.Manager.BeginAsync(TransactionMode.TwoPhase, null, null, [Good(1), Good(2)], CancellationToken.None);
        _f.AllVote(Vote.Prepared);

        Assert.Equal([1, 2], tx.Branches.Select(b => b.BranchId));
        var stored = await _f.Manager.GetAsync(tx.Id, CancellationToken.None);
        Assert.Equal(["http://127.0.0.1:5001", "http://127.0.0.1:5002"], stored.Branches.Select(b => b.ParticipantAddress));
        Assert.Equal(3, await _f.Manager.EnlistAsync(tx.Id, "http://127.0.0.1:5003", "r3", [3], null, CancellationToken.None));

        var result = await _f.Manager.CommitAsync(tx.Id, waitForCompletion: true, CancellationToken.None);

        Assert.True(result.Committed);
        await _f.Participants.Received(3).PrepareAsync(Arg.Any<BranchRecord>(), tx.Id, false, Arg.Any<DateTimeOffset>(), Arg.Any<CancellationToken>());
    }

    [Theory]
    [InlineData("", "r", 0, "branches[1].participant_address")]
    [InlineData("ftp://127.0.0.1:1", "r", 0, "branches[1].participant_address")]
    [InlineData("http://127.0.0.1:1", " ", 0, "branches[1].resource")]
    [InlineData("http://127.0.0.1:1", "r", 64 * 1024 + 1, "branches[1].payload")]
    public async Task Begin_BadBranch_NamesTheField_AndCreatesNothing(string address, string resource, int payloadBytes, string field)
    {
        var error = await Assert.ThrowsAsync<InvalidRequestException>(() =>
            _f.Manager.BeginAsync(TransactionMode.TwoPhase, null, "key-1", [Good(0), new BranchSpec(address, resource, new byte[payloadBytes], null)], CancellationToken.None));

        Assert.Equal(field, error.Field);
        Assert.Equal(0, _f.Table.Count);
        Assert.Equal("unclaimed", _f.Table.ClaimKey("key-1", "unclaimed"));
    }

    [Fact]
    public async Task Begin_DuplicateBranchKey_IsInvalid()
    {
        var error = await Assert.ThrowsAsync<InvalidRequestException>(() =>
            _f.Manager.BeginAsync(TransactionMode.TwoPhase, null, null, [Good(1) with { BranchKey = "k" }, Good(2) with { BranchKey = "k" }], CancellationToken.None));

        Assert.Equal("branches[1].branch_key", error.Field);
        Assert.Equal(0, _f.Table.Count);
    }

    [Fact]
    public async Task Begin_MoreBranchesThanTheLimit_IsInvalid()
    {
        var error = await Assert.ThrowsAsync<InvalidRequestException>(() =>
            _f.Manager.BeginAsync(TransactionMode.TwoPhase, null, null, [Good(1), Good(2), Good(3), Good(4)], CancellationToken.None));

        Assert.Equal("branches", error.Field);
        Assert.Equal(0, _f.Table.Count);
    }

    public void Dispose() => _f.Dispose();
}
