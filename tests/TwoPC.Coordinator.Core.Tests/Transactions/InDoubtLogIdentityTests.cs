using TwoPC.Coordinator.Tests.Support;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Tests.Transactions;

/// <summary>Presumed abort holds only in the log that would hold the commit (the branch's log identity).</summary>
public sealed class InDoubtLogIdentityTests : IDisposable
{
    private readonly EngineFixture _f = new();

    [Fact]
    public async Task ResolveInDoubt_UnknownId_UnderAnotherLogsIdentity_IsLogMismatch_NotAborted()
    {
        var id = TransactionManager.NewId();

        var error = await Assert.ThrowsAsync<LogMismatchException>(() => _f.Manager.ResolveInDoubtAsync(id, "another-log", CancellationToken.None));

        Assert.Equal(("another-log", _f.Log.LogId), (error.ExpectedLogId, error.ActualLogId));
        Assert.Contains(id, error.Message);
        Assert.Contains("log mismatch", error.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ResolveInDoubt_UnknownId_UnderThisLog_OrWithoutALogId_IsPresumedAborted(bool sendLogId)
    {
        var (record, presumed, pending) = await _f.Manager.ResolveInDoubtAsync(TransactionManager.NewId(), sendLogId ? _f.Log.LogId : "", CancellationToken.None);

        Assert.True(presumed);
        Assert.False(pending);
        Assert.Equal(TransactionState.Aborted, record.State);
    }

    [Fact]
    public async Task ResolveInDoubt_KnownId_UnderAnotherLogsIdentity_AnswersTheRecord()
    {
        _f.AllVote(Vote.Prepared);
        var id = await _f.BeginWithBranchesAsync(2);
        await _f.Manager.CommitAsync(id, waitForCompletion: true, CancellationToken.None);
        await _f.WaitFinishedAsync(id);

        var (record, presumed, _) = await _f.Manager.ResolveInDoubtAsync(id, "another-log", CancellationToken.None);

        Assert.False(presumed);
        Assert.Equal(TransactionState.Committed, record.State);
    }

    public void Dispose() => _f.Dispose();
}
