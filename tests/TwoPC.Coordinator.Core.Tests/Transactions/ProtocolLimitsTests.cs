using TwoPC.Coordinator.Tests.Support;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Tests.Transactions;

/// <summary>The engine enforces <see cref="ProtocolLimits"/>: the limit itself passes, one more fails naming the field and the limit.</summary>
public sealed class ProtocolLimitsTests : IDisposable
{
    private const string Address = "http://127.0.0.1:1";
    private readonly EngineFixture _f = new();

    [Fact]
    public async Task Begin_IdempotencyKey_AtMostMaxKeyLength()
    {
        await _f.Manager.BeginAsync(TransactionMode.TwoPhase, null, Text(ProtocolLimits.MaxKeyLength), null, CancellationToken.None);
        var error = await Assert.ThrowsAsync<InvalidRequestException>(() =>
            _f.Manager.BeginAsync(TransactionMode.TwoPhase, null, Text(ProtocolLimits.MaxKeyLength + 1), null, CancellationToken.None));
        Assert.Equal("idempotency_key: must be at most 128 characters", error.Message);
    }

    [Fact]
    public async Task Enlist_BranchKeyAndResource_AtMostTheirLimits()
    {
        var tx = await _f.Manager.BeginAsync(TransactionMode.TwoPhase, null, null, null, CancellationToken.None);
        await _f.Manager.EnlistAsync(tx.Id, Address, Text(ProtocolLimits.MaxNameLength), [], Text(ProtocolLimits.MaxKeyLength), CancellationToken.None);

        var key = await Assert.ThrowsAsync<InvalidRequestException>(() =>
            _f.Manager.EnlistAsync(tx.Id, Address, "r", [], Text(ProtocolLimits.MaxKeyLength + 1), CancellationToken.None));
        Assert.Equal("branch_key: must be at most 128 characters", key.Message);
        var resource = await Assert.ThrowsAsync<InvalidRequestException>(() =>
            _f.Manager.EnlistAsync(tx.Id, Address, Text(ProtocolLimits.MaxNameLength + 1), [], null, CancellationToken.None));
        Assert.Equal("resource: must be at most 200 characters", resource.Message);
    }

    [Fact]
    public async Task ResolveInDoubt_LogId_AtMostMaxKeyLength()
    {
        var id = TransactionManager.NewId();
        await _f.Manager.ResolveInDoubtAsync(id, _f.Log.LogId, CancellationToken.None);
        var error = await Assert.ThrowsAsync<InvalidRequestException>(() =>
            _f.Manager.ResolveInDoubtAsync(id, Text(ProtocolLimits.MaxKeyLength + 1), CancellationToken.None));
        Assert.Equal("log_id: must be at most 128 characters", error.Message);
    }

    [Fact]
    public async Task List_PageSize_ZeroMeansTheDefault_AndAtMostMaxPageSize()
    {
        for (var i = 0; i < ProtocolLimits.DefaultPageSize + 1; i++)
            await _f.Manager.BeginAsync(TransactionMode.TwoPhase, null, null, null, CancellationToken.None);

        var (page, next) = await _f.Manager.ListAsync([], 0, null, CancellationToken.None);
        Assert.Equal(ProtocolLimits.DefaultPageSize, page.Count);
        Assert.NotNull(next);
        await _f.Manager.ListAsync([], ProtocolLimits.MaxPageSize, null, CancellationToken.None);
        var error = await Assert.ThrowsAsync<InvalidRequestException>(() =>
            _f.Manager.ListAsync([], ProtocolLimits.MaxPageSize + 1, null, CancellationToken.None));
        Assert.Equal("page_size: must be between 1 and 1000 (0 means 100)", error.Message);
    }

    private static string Text(int length) => new('k', length);

    public void Dispose() => _f.Dispose();
}
