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
    public async Task Interceptor_AddsTheAmbientTransactionHeaders()
    {
        using var channel = GrpcChannel.ForAddress(Coordinator.Address);
        var client = new P.Coordinator.CoordinatorClient(channel.Intercept(new TwoPcPropagationInterceptor()));
        Coordinator.OnGetTransaction = _ => new P.TransactionInfo();

        await client.GetTransactionAsync(new P.GetTransactionRequest { TransactionId = "none" });
        using (TwoPcTransactionContext.Enter(new TwoPcTransactionContext("tx-amb", new Uri("http://coord:7000"))))
        {
            await client.GetTransactionAsync(new P.GetTransactionRequest { TransactionId = "x" });
        }

        var headers = Coordinator.Received.Select(r => r.Headers).ToList();
        Assert.Null(headers[0].GetValue(TwoPcMetadata.TransactionIdHeader));
        Assert.Equal("tx-amb", headers[1].GetValue(TwoPcMetadata.TransactionIdHeader));
        Assert.Equal("http://coord:7000/", headers[1].GetValue(TwoPcMetadata.CoordinatorHeader));
        Assert.Null(TwoPcTransactionContext.Current);
    }

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
    public async Task Server_WithoutHeaders_HasNoCurrentTransaction()
    {
        await using var host = await ParticipantHost.StartAsync(Dir.File("p.db"));
        await host.Client.PrepareAsync(PrepareTests.Prepare("tx-plain"));
        Assert.Null(host.Resource.SeenContext);
    }
}
