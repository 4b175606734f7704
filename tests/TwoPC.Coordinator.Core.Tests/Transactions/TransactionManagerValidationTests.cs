using TwoPC.Coordinator.Tests.Support;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Tests.Transactions;

public sealed class TransactionManagerValidationTests : IDisposable
{
    private readonly EngineFixture _f = new(o => o.MaxBranches = 3);

    [Theory]
    [InlineData("", "participant_address")]
    [InlineData("not a uri", "participant_address")]
    [InlineData("ftp://127.0.0.1:1", "participant_address")]
    [InlineData("/relative", "participant_address")]
    public async Task Enlist_BadAddress_NamesTheField(string address, string field)
    {
        var tx = await _f.Manager.BeginAsync(TransactionMode.TwoPhase, null, null, null, CancellationToken.None);
        var error = await Assert.ThrowsAsync<InvalidRequestException>(() => _f.Manager.EnlistAsync(tx.Id, address, "r", [], null, CancellationToken.None));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public async Task Enlist_EmptyResource_IsInvalid()
    {
        var tx = await _f.Manager.BeginAsync(TransactionMode.TwoPhase, null, null, null, CancellationToken.None);
        var error = await Assert.ThrowsAsync<InvalidRequestException>(() => _f.Manager.EnlistAsync(tx.Id, "http://127.0.0.1:1", " ", [], null, CancellationToken.None));
        Assert.Equal("resource", error.Field);
    }

    [Fact]
    public async Task Enlist_PayloadOverTheLimit_IsInvalid_AndNotAdded()
    {
        var tx = await _f.Manager.BeginAsync(TransactionMode.TwoPhase, null, null, null, CancellationToken.None);
        var error = await Assert.ThrowsAsync<InvalidRequestException>(() => _f.Manager.EnlistAsync(tx.Id, "http://127.0.0.1:1", "r", new byte[64 * 1024 + 1], null, CancellationToken.None));
        Assert.Equal("payload", error.Field);
        Assert.Empty((await _f.Manager.GetAsync(tx.Id, CancellationToken.None)).Branches);
    }

    [Fact]
    public async Task Enlist_TooManyBranches_IsInvalid()
    {
        var id = await _f.BeginWithBranchesAsync(3);
        await Assert.ThrowsAsync<InvalidRequestException>(() => _f.Manager.EnlistAsync(id, "http://127.0.0.1:1", "r", [], null, CancellationToken.None));
    }

    [Fact]
    public async Task Enlist_SameBranchKey_ReturnsTheSameBranch()
    {
        var tx = await _f.Manager.BeginAsync(TransactionMode.TwoPhase, null, null, null, CancellationToken.None);
        var first = await _f.Manager.EnlistAsync(tx.Id, "http://127.0.0.1:1", "r", [], "k", CancellationToken.None);
        var again = await _f.Manager.EnlistAsync(tx.Id, "http://127.0.0.1:1", "r", [], "k", CancellationToken.None);
        Assert.Equal(first, again);
        Assert.Single((await _f.Manager.GetAsync(tx.Id, CancellationToken.None)).Branches);
    }

    [Fact]
    public async Task UnknownId_IsNotFound_MalformedId_IsInvalid()
    {
        await Assert.ThrowsAsync<TransactionNotFoundException>(() => _f.Manager.CommitAsync(TransactionManager.NewId(), false, CancellationToken.None));
        var error = await Assert.ThrowsAsync<InvalidRequestException>(() => _f.Manager.CommitAsync("xyz", false, CancellationToken.None));
        Assert.Equal("transaction_id", error.Field);
    }

    [Theory]
    [InlineData(50)]
    [InlineData(7_200_000)]
    public async Task Begin_TimeoutOutOfRange_IsInvalid(int milliseconds)
    {
        var error = await Assert.ThrowsAsync<InvalidRequestException>(() => _f.Manager.BeginAsync(TransactionMode.TwoPhase, TimeSpan.FromMilliseconds(milliseconds), null, null, CancellationToken.None));
        Assert.Equal("timeout", error.Field);
    }

    [Fact]
    public async Task Begin_SameIdempotencyKey_ReturnsTheSameTransaction()
    {
        var first = await _f.Manager.BeginAsync(TransactionMode.TwoPhase, null, "client-retry-1", null, CancellationToken.None);
        var again = await _f.Manager.BeginAsync(TransactionMode.TwoPhase, null, "client-retry-1", null, CancellationToken.None);
        Assert.Equal(first.Id, again.Id);
    }

    public void Dispose() => _f.Dispose();
}
