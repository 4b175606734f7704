using TwoPC.Demo.Cluster;
using TwoPC.Demo.Load;
using TwoPC.Demo.Protocol.V1;
using TwoPC.Client;
using Xunit;

namespace TwoPC.Demo.Tests;

/// <summary>A coordinator and the two demo banks as real processes, shared by the bad-input cases.</summary>
public sealed class BankClusterFixture : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "twopc-demo-tests", Guid.NewGuid().ToString("N"));

    internal BankCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Cluster = await BankCluster.StartAsync(Binaries.Locate(), _dir, accounts: 10, initialBalance: 1000, CancellationToken.None);

    public Task DisposeAsync()
    {
        Cluster.Dispose();
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }

        return Task.CompletedTask;
    }
}

/// <summary>
/// Bad transfers against the real banks: each one aborts (2PC: a bank votes ABORT; saga: the step fails and the
/// saga is compensated) with a reason naming the problem, and no balance changes.
/// </summary>
public sealed class BankBadInputTests(BankClusterFixture fixture) : IClassFixture<BankClusterFixture>
{
    private BankCluster Cluster => fixture.Cluster;

    [Theory]
    [InlineData(1, 0, 1, 0, "must not be zero")] // zero amount
    [InlineData(1, -5, 2, long.MaxValue, "overflow")] // credit of long.MaxValue onto a balance of 1000
    [InlineData(1, long.MinValue, 2, 5, "insufficient funds")] // debit of long.MinValue
    [InlineData(1, -5, 999_999, 5, "no account 999999")] // unknown account
    public async Task TwoPhaseTransfer_BadAmountOrAccount_AbortsNamingTheProblem_BalancesUnchanged(int fromAccount, long debit, int toAccount, long credit, string reason)
    {
        var before = await LedgersAsync();
        var tx = await Cluster.Client.BeginAsync(TimeSpan.FromSeconds(10));
        await tx.EnlistAsync(Cluster.A.Address, "accounts", BankPayload.Format(fromAccount, debit), "debit");
        await tx.EnlistAsync(Cluster.B.Address, "accounts", BankPayload.Format(toAccount, credit), "credit");

        var outcome = await tx.CommitAsync();

        Assert.Equal(TransactionOutcomeKind.Aborted, outcome.Kind);
        Assert.Contains(reason, outcome.Reason);
        await AssertUnchangedAsync(before, tx.Id);
    }

    [Fact]
    public async Task TwoPhaseTransfer_SameAccountTwice_AbortsNamingIt_BalancesUnchanged()
    {
        var before = await LedgersAsync();
        var tx = await Cluster.Client.BeginAsync(TimeSpan.FromSeconds(10));
        await tx.EnlistAsync(Cluster.A.Address, "accounts", BankPayload.Format(3, -5), "debit");
        await tx.EnlistAsync(Cluster.A.Address, "accounts", BankPayload.Format(3, 5), "credit");

        var outcome = await tx.CommitAsync();

        Assert.Equal(TransactionOutcomeKind.Aborted, outcome.Kind);
        Assert.Contains("same-account transfer", outcome.Reason);
        await AssertUnchangedAsync(before, tx.Id);
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("-1:5")]
    [InlineData("1:")]
    public async Task TwoPhaseTransfer_MalformedPayload_Aborts_BalancesUnchanged(string payload)
    {
        var before = await LedgersAsync();
        var tx = await Cluster.Client.BeginAsync(TimeSpan.FromSeconds(10));
        await tx.EnlistAsync(Cluster.A.Address, "accounts", BankPayload.Format(1, -5), "debit");
        await tx.EnlistAsync(Cluster.B.Address, "accounts", System.Text.Encoding.UTF8.GetBytes(payload), "credit");

        var outcome = await tx.CommitAsync();

        Assert.Equal(TransactionOutcomeKind.Aborted, outcome.Kind);
        Assert.False(string.IsNullOrWhiteSpace(outcome.Reason));
        await AssertUnchangedAsync(before, tx.Id);
    }

    [Theory]
    [InlineData(-5L, 5L, "bad debit")] // negative amount
    [InlineData(0L, 0L, "bad debit")] // zero amount
    [InlineData(5L, long.MaxValue, "overflow")] // credit that would overflow
    public async Task SagaTransfer_BadAmount_IsCompensatedNamingTheProblem_BalancesUnchanged(long debit, long credit, string reason)
    {
        var before = await LedgersAsync();

        var result = await Cluster.Client.Saga()
            .Step("debit", Cluster.A.Address, "debit", BankPayload.Format(4, debit), BankPayload.Format(4, debit))
            .Step("credit", Cluster.B.Address, "credit", BankPayload.Format(4, credit), BankPayload.Format(4, credit))
            .RunAsync();

        Assert.Equal(SagaOutcome.Compensated, result.Outcome);
        Assert.Contains(reason, result.Reason + string.Join(";", result.Steps.Select(s => s.ToString())));
        Assert.Equal(before.Select(l => l.Balances.ToArray()), (await LedgersAsync()).Select(l => l.Balances.ToArray()));
    }

    private async Task<List<LedgerResponse>> LedgersAsync()
    {
        var list = new List<LedgerResponse>();
        foreach (var bank in Cluster.Banks) list.Add(await bank.Client.LedgerAsync(new LedgerRequest()));
        return list;
    }

    private async Task AssertUnchangedAsync(IReadOnlyList<LedgerResponse> before, string transactionId)
    {
        var after = await LedgersAsync();
        Assert.Equal(before.Select(l => l.Balances.ToArray()), after.Select(l => l.Balances.ToArray()));
        Assert.DoesNotContain(after.SelectMany(l => l.Applied), a => a.TransactionId == transactionId);
    }
}
