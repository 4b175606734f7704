using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NSubstitute;
using TwoPC.Client.Serialization;

namespace TwoPC.Client.Tests;

public sealed class ClientRegistrationTests
{
    private static readonly Uri Address = new("http://127.0.0.1:7000");

    [Fact]
    public void AddTwoPcClient_RegistersOneSingleton_AsTheInterfaceAndTheClass()
    {
        var services = new ServiceCollection();
        var builder = services.AddTwoPcClient(o => o.CoordinatorAddress = Address);
        using var provider = services.BuildServiceProvider();

        Assert.Same(services, builder.Services);
        var client = provider.GetRequiredService<TwoPcClient>();
        Assert.Same(client, provider.GetRequiredService<ITwoPcClient>());
        Assert.Same(client, provider.GetRequiredService<TwoPcClient>());
        Assert.Equal(Address, client.CoordinatorAddress);
    }

    [Fact]
    public void Builder_ConfigureChannel_AndUseSerializer_ReachTheClient()
    {
        var serializer = Substitute.For<ITwoPcSerializer>();
        var channelConfigured = 0;
        var services = new ServiceCollection();
        services.AddTwoPcClient(o => o.CoordinatorAddress = Address)
            .ConfigureChannel(o => { channelConfigured++; o.MaxReceiveMessageSize = 1024; })
            .UseSerializer(serializer);
        using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<TwoPcClient>();

        Assert.Equal(1, channelConfigured);
        Assert.Same(serializer, client.Options.Serializer);
    }

    [Theory]
    [InlineData("ftp://127.0.0.1:7000", "00:00:10", "TwoPcClientOptions.CoordinatorAddress")]
    [InlineData("http://127.0.0.1:7000", "00:00:00", "TwoPcClientOptions.CallTimeout")]
    public async Task HostStart_WithABadOption_FailsWithOneLineNamingTheOption(string address, string callTimeout, string named)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddTwoPcClient(o =>
        {
            o.CoordinatorAddress = new Uri(address);
            o.CallTimeout = TimeSpan.Parse(callTimeout, System.Globalization.CultureInfo.InvariantCulture);
        });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        var failure = Assert.Single(error.Failures);
        Assert.StartsWith(named + " ", failure);
        Assert.DoesNotContain('\n', failure);
    }

    [Fact]
    public void Constructor_WithABadOption_ThrowsTheSameValidationNamingTheOption()
    {
        var error = Assert.Throws<OptionsValidationException>(() => new TwoPcClient(new TwoPcClientOptions()));

        Assert.StartsWith("TwoPcClientOptions.CoordinatorAddress ", Assert.Single(error.Failures));
    }

    [Fact]
    public void Options_HaveTheDocumentedDefaults()
    {
        var options = new TwoPcClientOptions();

        Assert.Equal(TimeSpan.FromSeconds(10), options.CallTimeout);
        Assert.Equal(TimeSpan.FromSeconds(60), options.CompletionTimeout);
        Assert.Same(TwoPcSerializer.Default, options.Serializer);
        Assert.Null(options.ConfigureChannel);
    }

    [Fact]
    public async Task ITwoPcClient_CanBeSubstituted_ForCodeThatRunsTransactions()
    {
        var client = Substitute.For<ITwoPcClient>();
        client.RunInTransactionAsync(Arg.Any<Func<DistributedTransaction, CancellationToken, Task>>(), Arg.Any<TransactionRunOptions?>(), Arg.Any<CancellationToken>())
            .Returns(new TransactionOutcome(TransactionOutcomeKind.Aborted, "branch 2 voted ABORT", TransactionState.Aborted));
        var transfers = new TransferService(client);

        var done = await transfers.TransferAsync();

        Assert.False(done);
        await client.Received(1).RunInTransactionAsync(Arg.Any<Func<DistributedTransaction, CancellationToken, Task>>(), Arg.Is<TransactionRunOptions?>(o => o!.Timeout == TimeSpan.FromSeconds(5)), Arg.Any<CancellationToken>());
    }

    /// <summary>Application code as a service would write it, depending on the interface.</summary>
    private sealed class TransferService(ITwoPcClient client)
    {
        public async Task<bool> TransferAsync()
        {
            var outcome = await client.RunInTransactionAsync(async (tx, ct) => { await tx.EnlistAsync(new Uri("http://bank-a"), "accounts", new byte[] { 1 }, cancellationToken: ct); },
                new TransactionRunOptions { Timeout = TimeSpan.FromSeconds(5) });
            return outcome.IsCommitted;
        }
    }
}
