using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using TwoPC.Client.Tests.Infrastructure;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Client.Tests;

public sealed class PropagationTests : IAsyncLifetime
{
    private StubCoordinator _coordinator = null!;

    public async Task InitializeAsync() => _coordinator = await StubCoordinator.StartAsync();

    public async Task DisposeAsync() => await _coordinator.DisposeAsync();

    [Fact]
    public async Task Interceptor_AddsTheAmbientTransactionHeaders()
    {
        using var channel = GrpcChannel.ForAddress(_coordinator.Address);
        var client = new P.Coordinator.CoordinatorClient(channel.Intercept(new TwoPcPropagationInterceptor()));
        _coordinator.OnGetTransaction = _ => new P.TransactionInfo();

        await client.GetTransactionAsync(new P.GetTransactionRequest { TransactionId = "none" });
        using (TwoPcTransactionContext.Enter(new TwoPcTransactionContext("tx-amb", new Uri("http://coord:7000"))))
        {
            await client.GetTransactionAsync(new P.GetTransactionRequest { TransactionId = "x" });
        }

        var headers = _coordinator.Received.Select(r => r.Headers).ToList();
        Assert.Null(headers[0].GetValue(TwoPcMetadata.TransactionIdHeader));
        Assert.Equal("tx-amb", headers[1].GetValue(TwoPcMetadata.TransactionIdHeader));
        Assert.Equal("http://coord:7000/", headers[1].GetValue(TwoPcMetadata.CoordinatorHeader));
        Assert.Null(TwoPcTransactionContext.Current);
    }
}
