using TwoPC.Client.Tests.Infrastructure;

namespace TwoPC.Client.Tests;

/// <summary>The real coordinator's refusals arrive as the client's documented exceptions, naming the field.</summary>
public sealed class LiveErrorTests : LiveCoordinatorTest
{
    [Fact]
    public async Task Begin_TimeoutOutOfTheCoordinatorsRange_IsInvalidRequest_NamingTimeout()
    {
        var error = await Assert.ThrowsAsync<TwoPcInvalidRequestException>(() => Client.BeginAsync(TimeSpan.FromHours(2)));

        Assert.Equal("timeout", error.Field);
        Assert.Contains("out of range", error.Message);
    }

    [Fact]
    public async Task GetTransaction_UnknownId_IsNotFound()
    {
        var error = await Assert.ThrowsAsync<TransactionNotFoundException>(() => Client.GetTransactionAsync(new string('a', 32)));

        Assert.Contains("not known", error.Message);
    }

    [Fact]
    public async Task Enlist_AfterCommit_IsAConflict()
    {
        var tx = await Client.BeginAsync();
        Assert.True((await tx.CommitAsync()).IsCommitted);

        var error = await Assert.ThrowsAsync<TransactionConflictException>(() => tx.EnlistAsync(Participant.Address, "accounts", new byte[] { 1 }));

        Assert.Contains("Committed", error.Message);
    }

    [Fact]
    public async Task Abort_AfterCommit_IsAConflict()
    {
        var tx = await Client.BeginAsync();
        await tx.CommitAsync();

        var error = await Assert.ThrowsAsync<TransactionConflictException>(() => tx.AbortAsync());

        Assert.Contains("committed", error.Message);
    }

    [Fact]
    public async Task Commit_AfterAbort_IsAborted()
    {
        var tx = await Client.BeginAsync();
        await tx.EnlistAsync(Participant.Address, "accounts", new byte[] { 1 });
        await tx.AbortAsync("changed my mind");

        var error = await Assert.ThrowsAsync<TransactionAbortedException>(() => tx.CommitAsync());

        Assert.Contains("changed my mind", error.Message);
    }

    [Fact]
    public async Task Saga_UnknownStepResource_IsInvalidRequest_NamingTheStepsResource()
    {
        var error = await Assert.ThrowsAsync<TwoPcInvalidRequestException>(() => Client.Saga()
            .Step("flight", Participant.Address, "flight", new byte[] { 1 }, new byte[] { 2 })
            .Step("boat", Participant.Address, "boat", new byte[] { 1 }, new byte[] { 2 })
            .RunAsync());

        Assert.Equal("steps[1].resource", error.Field);
        Assert.Contains("hosts no saga step handler 'boat'", error.Message);
    }
}
