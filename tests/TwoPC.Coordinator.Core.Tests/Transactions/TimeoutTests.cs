using Microsoft.Extensions.Time.Testing;
using NSubstitute;
using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Tests.Support;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Tests.Transactions;

public sealed class TimeoutTests
{
    [Fact]
    public async Task ActiveTransaction_PastItsDeadline_IsAbortedBySweeper_AndCommitThenAnswersAborted()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var f = new EngineFixture(time: time);
        var id = await f.BeginWithBranchesAsync(2, timeout: TimeSpan.FromSeconds(5));

        time.Advance(TimeSpan.FromSeconds(6));
        await f.Manager.AbortExpiredAsync(CancellationToken.None);
        var error = await Assert.ThrowsAsync<TransactionStateConflictException>(() => f.Manager.CommitAsync(id, false, CancellationToken.None));

        Assert.Contains("timed out", error.Message);
        await f.Participants.DidNotReceiveWithAnyArgs().PrepareAsync(default!, default!, default, default, default);
    }

    [Fact]
    public async Task ActiveTransaction_BeforeItsDeadline_IsLeftAlone()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var f = new EngineFixture(time: time);
        var id = await f.BeginWithBranchesAsync(2, timeout: TimeSpan.FromSeconds(5));

        time.Advance(TimeSpan.FromSeconds(4));
        await f.Manager.AbortExpiredAsync(CancellationToken.None);

        Assert.Equal(TransactionState.Active, (await f.Manager.GetAsync(id, CancellationToken.None)).State);
    }
}
