using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using TwoPC.Client;
using TwoPC.Participant.Tests.Infrastructure;
using TwoPC.Participant.Tests.TwoPhase;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Participant.Tests.Client;

public sealed class PropagationTests : StubCoordinatorTest
{
    [Fact]
    public async Task Server_ReadsTheHeaders_AndEnlistSelfUsesTheAdvertisedAddress()
    {
        var advertised = new Uri("http://participant-b:5002");
        await using var host = await ParticipantHost.StartAsync(Dir.File("p.db"), o => o.AdvertisedAddress = advertised);
        host.Resource.EnlistSelf = true;
        Coordinator.OnEnlist = _ => new P.EnlistResponse { BranchId = 4 };
        var client = new P.Participant.ParticipantClient(GrpcChannel.ForAddress(host.Address).Intercept(new TwoPcPropagationInterceptor()));

        using (TwoPcTransactionContext.Enter(new TwoPcTransactionContext("tx-up", Coordinator.Address)))
        {
            await client.PrepareAsync(PrepareTests.Prepare("tx-down"));
        }

        Assert.Equal(new TwoPcTransactionContext("tx-up", Coordinator.Address), host.Resource.SeenContext);
        Assert.Equal(4, host.Resource.EnlistedBranch);
        var enlist = (P.EnlistRequest)Coordinator.Received.Single(r => r.Method == "Enlist").Request;
        Assert.Equal(("tx-up", advertised.ToString(), "accounts"), (enlist.TransactionId, enlist.ParticipantAddress, enlist.Resource));
    }

    [Fact]
    public async Task EnlistSelf_ContextInstanceDead_AsksTheConfiguredInstance_AndFollowsItsRedirectToTheOwner()
    {
        await using var owner = await StubCoordinator.StartAsync();
        owner.OnEnlist = _ => new P.EnlistResponse { BranchId = 9 };
        Coordinator.OnEnlist = _ => throw new RpcException(new Status(StatusCode.FailedPrecondition, "not the owner"),
            new Metadata { { "twopc-error", "not-owner" }, { "twopc-owner", owner.Address.ToString() } });
        await using var host = await ParticipantHost.StartAsync(Dir.File("p.db"), o =>
        {
            o.AdvertisedAddress = new Uri("http://participant-b:5002");
            o.CoordinatorAddresses = [Coordinator.Address];
        });
        host.Resource.EnlistSelf = true;
        var client = new P.Participant.ParticipantClient(GrpcChannel.ForAddress(host.Address).Intercept(new TwoPcPropagationInterceptor()));

        using (TwoPcTransactionContext.Enter(new TwoPcTransactionContext("tx-up", new Uri("http://127.0.0.1:1"))))
        {
            await client.PrepareAsync(PrepareTests.Prepare("tx-down"));
        }

        Assert.Equal(9, host.Resource.EnlistedBranch);
        var refused = (P.EnlistRequest)Coordinator.Received.Single(r => r.Method == "Enlist").Request;
        var taken = (P.EnlistRequest)owner.Received.Single(r => r.Method == "Enlist").Request;
        Assert.Equal(("tx-up", "http://participant-b:5002/"), (taken.TransactionId, taken.ParticipantAddress));
        Assert.False(string.IsNullOrEmpty(taken.BranchKey));
        Assert.Equal(refused.BranchKey, taken.BranchKey);
    }

    [Fact]
    public async Task Server_WithoutHeaders_HasNoCurrentTransaction()
    {
        await using var host = await ParticipantHost.StartAsync(Dir.File("p.db"));
        await host.Client.PrepareAsync(PrepareTests.Prepare("tx-plain"));
        Assert.Null(host.Resource.SeenContext);
    }
}
