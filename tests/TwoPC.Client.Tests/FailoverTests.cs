using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using TwoPC.Client.Tests.Infrastructure;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Client.Tests;

/// <summary>
/// Several coordinator instances over one shared log: Begin at the first that answers, a transaction's calls at its
/// instance, "not-owner" redirects followed a bounded number of times, and other instances asked when one is down.
/// </summary>
public sealed class FailoverTests : IAsyncLifetime
{
    private StubCoordinator _a = null!;
    private StubCoordinator _b = null!;

    public async Task InitializeAsync()
    {
        _a = await StubCoordinator.StartAsync();
        _b = await StubCoordinator.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    /// <summary>An address on 127.0.0.1 where nothing listens (connection refused).</summary>
    private static Uri DeadAddress()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}");
    }

    private static TwoPcClient Client(params Uri[] addresses) => new(new TwoPcClientOptions { CoordinatorAddresses = addresses.ToList() });

    private static RpcException NotOwner(Uri? owner) => new(new Status(StatusCode.FailedPrecondition, "transaction owned by another instance"),
        owner is null ? new Metadata { { "twopc-error", "not-owner" } } : new Metadata { { "twopc-error", "not-owner" }, { "twopc-owner", owner.ToString() } });

    private static RpcException LostReply() => new(new Status(StatusCode.Unavailable, "connection reset after the request"));

    [Fact]
    public async Task Begin_FirstAddressDead_BeginsAtTheNext_AndTheTransactionsCallsGoThere()
    {
        _b.OnBegin = _ => new P.BeginResponse { TransactionId = "tx-b" };
        using var client = Client(DeadAddress(), _b.Address);

        var tx = await client.BeginAsync();
        var outcome = await tx.CommitAsync();

        Assert.Equal("tx-b", tx.Id);
        Assert.Equal(_b.Address, tx.CoordinatorAddress);
        Assert.Equal(TransactionOutcomeKind.Committed, outcome.Kind);
        Assert.Equal((1, 1), (_b.Count("Begin"), _b.Count("Commit")));
    }

    [Fact]
    public async Task Begin_Keyed_AfterALostReply_IsResentToTheNextWithTheSameKey_ButAnUnkeyedOneIsNot()
    {
        _a.OnBegin = _ => throw LostReply();
        _b.OnBegin = r => new P.BeginResponse { TransactionId = "tx-" + r.IdempotencyKey };
        using var client = Client(_a.Address, _b.Address);

        var tx = await client.BeginAsync(idempotencyKey: "order-7");
        await Assert.ThrowsAsync<TransactionRetryLaterException>(() => client.BeginAsync());

        Assert.Equal(("tx-order-7", _b.Address), (tx.Id, tx.CoordinatorAddress));
        Assert.Equal(["order-7", ""], _a.Received.Where(r => r.Method == "Begin").Select(r => ((P.BeginRequest)r.Request).IdempotencyKey));
        Assert.Equal(["order-7"], _b.Received.Where(r => r.Method == "Begin").Select(r => ((P.BeginRequest)r.Request).IdempotencyKey));
    }

    [Fact]
    public async Task Commit_AtAnInstanceThatIsNotTheOwner_IsResentToTheNamedOwner_AndItsAnswerReturned()
    {
        _a.OnBegin = _ => new P.BeginResponse { TransactionId = "tx-1" };
        _a.OnCommit = _ => throw NotOwner(_b.Address);
        _b.OnCommit = _ => new P.CommitResponse { Outcome = P.Outcome.Aborted, Reason = "the owner's answer", State = P.TransactionState.Aborted };
        using var client = Client(_a.Address);

        var tx = await client.BeginAsync();
        var outcome = await tx.CommitAsync(waitForCompletion: true);

        Assert.Equal((TransactionOutcomeKind.Aborted, "the owner's answer"), (outcome.Kind, outcome.Reason));
        Assert.Equal(_b.Address, tx.CoordinatorAddress);
        var resent = (P.CommitRequest)Assert.Single(_b.Received, r => r.Method == "Commit").Request;
        Assert.Equal(("tx-1", true), (resent.TransactionId, resent.WaitForCompletion));
        Assert.Equal(1, _a.Count("Commit"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Commit_NotOwnerWithoutAnOwner_AndEveryOtherInstanceDown_IsRetryLater(bool emptyOwnerTrailer)
    {
        _a.OnBegin = _ => new P.BeginResponse { TransactionId = "tx-2" };
        var notOwner = emptyOwnerTrailer
            ? new RpcException(new Status(StatusCode.FailedPrecondition, "not the owner"), new Metadata { { "twopc-error", "not-owner" }, { "twopc-owner", "" } })
            : NotOwner(null);
        _a.OnCommit = _ => throw notOwner;
        using var client = Client(_a.Address, DeadAddress(), DeadAddress());

        var tx = await client.BeginAsync();
        var error = await Assert.ThrowsAsync<TransactionRetryLaterException>(() => tx.CommitAsync());

        Assert.Equal("tx-2", error.TransactionId);
        Assert.Equal(1, _a.Count("Commit"));
    }

    [Fact]
    public async Task Commit_NotOwnerWithoutAnOwner_IsSentToTheNextConfiguredInstance()
    {
        _a.OnBegin = _ => new P.BeginResponse { TransactionId = "tx-8" };
        _a.OnCommit = _ => throw NotOwner(null);
        using var client = Client(_a.Address, _b.Address);

        var tx = await client.BeginAsync();
        var outcome = await tx.CommitAsync();

        Assert.Equal(TransactionOutcomeKind.Committed, outcome.Kind);
        Assert.Equal((1, 1), (_a.Count("Commit"), _b.Count("Commit")));
        Assert.Equal(_b.Address, tx.CoordinatorAddress);
    }

    [Fact]
    public async Task Enlist_RetriedAtAnotherInstanceAfterALostReply_CarriesTheSameBranchKey()
    {
        _a.OnBegin = _ => new P.BeginResponse { TransactionId = "tx-3" };
        _a.OnEnlist = _ => throw LostReply();
        _b.OnEnlist = _ => new P.EnlistResponse { BranchId = 7 };
        using var client = Client(_a.Address, _b.Address);
        var participant = new Uri("http://127.0.0.1:5001");

        var tx = await client.BeginAsync();
        var generated = await tx.EnlistAsync(participant, "accounts", new byte[] { 1 });
        var given = await tx.EnlistAsync(participant, "accounts", new byte[] { 2 }, "debit");

        Assert.Equal((7, 7), (generated, given));
        var atA = _a.Received.Where(r => r.Method == "Enlist").Select(r => ((P.EnlistRequest)r.Request).BranchKey).ToList();
        var atB = _b.Received.Where(r => r.Method == "Enlist").Select(r => ((P.EnlistRequest)r.Request).BranchKey).ToList();
        Assert.Single(atA);
        Assert.Equal(2, atB.Count);
        Assert.False(string.IsNullOrEmpty(atA[0]));
        Assert.Equal(atA[0], atB[0]);
        Assert.Equal("debit", atB[1]);
    }

    [Fact]
    public async Task Enlist_WithoutAKey_GetsADifferentKeyPerCall()
    {
        _a.OnBegin = _ => new P.BeginResponse { TransactionId = "tx-4" };
        using var client = Client(_a.Address);
        var tx = await client.BeginAsync();

        await tx.EnlistAsync(new Uri("http://127.0.0.1:5001"), "accounts", new byte[] { 1 });
        await tx.EnlistAsync(new Uri("http://127.0.0.1:5001"), "accounts", new byte[] { 1 });

        var keys = _a.Received.Where(r => r.Method == "Enlist").Select(r => ((P.EnlistRequest)r.Request).BranchKey).ToList();
        Assert.Equal(2, keys.Distinct().Count(k => k.Length > 0));
    }

    [Fact]
    public async Task Redirect_Loop_IsBounded_AndEndsAsRetryLater()
    {
        _a.OnCommit = _ => throw NotOwner(_b.Address);
        _b.OnCommit = _ => throw NotOwner(_a.Address);
        using var client = Client(_a.Address, _b.Address);

        var tx = client.Attach("tx-loop");
        await Assert.ThrowsAsync<TransactionRetryLaterException>(() => tx.CommitAsync());

        // The first call and at most three redirects.
        Assert.Equal(4, _a.Count("Commit") + _b.Count("Commit"));
    }

    [Fact]
    public async Task Attach_FollowsTheRedirect_AndRemembersTheOwner()
    {
        _a.OnAbort = _ => throw NotOwner(_b.Address);
        using var client = Client(_a.Address);

        var tx = client.Attach("tx-5");
        var outcome = await tx.AbortAsync("stop");
        await tx.AbortAsync("again");

        Assert.Equal(TransactionOutcomeKind.Aborted, outcome.Kind);
        Assert.Equal(_b.Address, tx.CoordinatorAddress);
        Assert.Equal(_b.Address, tx.Context.CoordinatorAddress);
        Assert.Equal((1, 2), (_a.Count("Abort"), _b.Count("Abort")));
    }

    [Fact]
    public async Task Commit_OwnerDown_IsResentToTheOtherInstances_WhichAnswerFromTheSharedLog()
    {
        _a.OnBegin = _ => new P.BeginResponse { TransactionId = "tx-6" };
        await using var owner = await StubCoordinator.StartAsync();
        owner.OnBegin = _ => new P.BeginResponse { TransactionId = "tx-6" };
        using var client = Client(owner.Address, _b.Address);
        var tx = await client.BeginAsync();
        await owner.DisposeAsync();

        var outcome = await tx.CommitAsync();

        Assert.Equal(TransactionOutcomeKind.Committed, outcome.Kind);
        Assert.Equal(_b.Address, tx.CoordinatorAddress);
        Assert.Equal(1, _b.Count("Commit"));
    }

    [Fact]
    public async Task Commit_LostReply_ThenNoInstanceAnswers_StaysInDoubt()
    {
        _a.OnBegin = _ => new P.BeginResponse { TransactionId = "tx-7" };
        _a.OnCommit = _ => throw LostReply();
        using var client = Client(_a.Address, DeadAddress());
        var tx = await client.BeginAsync();

        await Assert.ThrowsAsync<TransactionInDoubtException>(() => tx.CommitAsync());
    }

    [Fact]
    public async Task GetTransaction_AndWaitForSaga_FailOverFromADeadAddress()
    {
        _b.OnGetTransaction = r => new P.TransactionInfo { TransactionId = r.TransactionId, Mode = P.TransactionMode.Saga, State = P.TransactionState.SagaCompleted };
        using var client = Client(DeadAddress(), _b.Address);

        var status = await client.GetTransactionAsync("saga-9");
        var saga = await client.WaitForSagaAsync("saga-9");

        Assert.Equal("saga-9", status.TransactionId);
        Assert.Equal(SagaOutcome.Completed, saga.Outcome);
        Assert.Equal(2, _b.Count("GetTransaction"));
    }

    [Fact]
    public void Options_CoordinatorAddressAndAddresses_AreOneList_FirstTheSingleOne_EachInstanceOnce()
    {
        using var client = new TwoPcClient(new TwoPcClientOptions
        {
            CoordinatorAddress = new Uri("http://127.0.0.1:7002"),
            CoordinatorAddresses = [new Uri("http://127.0.0.1:7001"), new Uri("http://127.0.0.1:7002/")],
        });

        Assert.Equal([new Uri("http://127.0.0.1:7002"), new Uri("http://127.0.0.1:7001")], client.CoordinatorAddresses);
        Assert.Equal(new Uri("http://127.0.0.1:7002"), client.CoordinatorAddress);
    }

    [Fact]
    public void Options_ABadAddressInTheList_FailsWithOneLineNamingItsIndex()
    {
        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => new TwoPcClient(new TwoPcClientOptions
        {
            CoordinatorAddresses = [new Uri("http://127.0.0.1:7001"), new Uri("ftp://127.0.0.1:7002")],
        }));

        var failure = Assert.Single(error.Failures);
        Assert.StartsWith("TwoPcClientOptions.CoordinatorAddresses[1] ", failure);
        Assert.DoesNotContain('\n', failure);
    }
}
