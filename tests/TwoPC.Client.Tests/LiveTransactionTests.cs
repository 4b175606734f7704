using TwoPC.Client.Tests.Infrastructure;

namespace TwoPC.Client.Tests;

/// <summary>Disposal and <see cref="ITwoPcClient.RunInTransactionAsync"/> against a real coordinator.</summary>
public sealed class LiveTransactionTests : LiveCoordinatorTest
{
    [Fact]
    public async Task DisposeAsync_NeitherCommittedNorAborted_TheCoordinatorRecordsItAborted()
    {
        string id;
        await using (var tx = await Client.BeginAsync(TimeSpan.FromMinutes(10)))
        {
            id = tx.Id;
            await tx.EnlistAsync(Participant.Address, "accounts", new byte[] { 1 });
            await tx.EnlistAsync(Participant.Address, "accounts", new byte[] { 2 });
        }

        var status = await Client.GetTransactionAsync(id);
        Assert.Equal((TransactionState.Aborted, TransactionOutcomeKind.Aborted), (status.State, status.Outcome));
        Assert.Contains("disposed", status.Reason);
    }

    [Fact]
    public async Task RunInTransaction_DelegateReturns_CommitsWithTheTransactionAmbientWhileItRuns()
    {
        string? id = null;
        TwoPcTransactionContext? seen = null;

        var outcome = await Client.RunInTransactionAsync(async (tx, ct) =>
        {
            id = tx.Id;
            seen = TwoPcTransactionContext.Current;
            await tx.EnlistAsync(Participant.Address, "accounts", new byte[] { 1 }, cancellationToken: ct);
        });

        Assert.True(outcome.IsCommitted);
        Assert.Equal(new TwoPcTransactionContext(id!, Coordinator.Address), seen);
        Assert.Null(TwoPcTransactionContext.Current);
        Assert.Equal(TransactionOutcomeKind.Committed, (await Client.GetTransactionAsync(id!)).Outcome);
        Assert.Contains(Participant.Calls, c => c.Tx == id && c.Kind.StartsWith("prepare", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunInTransaction_DelegateThrows_AbortsAndRethrowsTheDelegatesException()
    {
        string? id = null;
        var thrown = new InvalidDataException("the business rule said no");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => Client.RunInTransactionAsync(async (tx, ct) =>
        {
            id = tx.Id;
            await tx.EnlistAsync(Participant.Address, "accounts", new byte[] { 1 }, cancellationToken: ct);
            throw thrown;
        }, new TransactionRunOptions { Timeout = TimeSpan.FromMinutes(10) }));

        Assert.Same(thrown, error);
        var status = await Client.GetTransactionAsync(id!);
        Assert.Equal(TransactionOutcomeKind.Aborted, status.Outcome);
        Assert.DoesNotContain(Participant.Calls, c => c.Tx == id && c.Kind.StartsWith("prepare", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunInTransaction_Generic_ReturnsTheDelegatesValueAndTheOutcome()
    {
        var result = await Client.RunInTransactionAsync((tx, ct) =>
            tx.EnlistAsync(Participant.Address, "accounts", new byte[] { 1 }, cancellationToken: ct),
            new TransactionRunOptions { WaitForCompletion = true });

        Assert.Equal(1, result.Value);
        Assert.True(result.IsCommitted);
        Assert.Equal(TransactionState.Committed, result.Outcome.State);
    }
}
