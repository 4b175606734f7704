using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using TwoPC.Durability;
using Microsoft.Extensions.Options;
using TwoPC.Client;
using TwoPC.Participant.Hosting;
using TwoPC.Participant.Tests.Infrastructure;

namespace TwoPC.Participant.Tests.Hosting;

public sealed class HostingTests
{
    [Fact]
    public async Task Start_WithoutDataPath_FailsValidation()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => ParticipantHost.StartAsync(""));
        Assert.Contains("DataPath", error.Message);
    }

    [Fact]
    public async Task Start_WithoutAStore_FailsWithOneLineNamingUseLiteDbStore()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => KestrelHost.StartAsync(
            services => services.AddTwoPcParticipant(_ => { }).AddResource<TestResource>("accounts"),
            app => app.MapTwoPcParticipant()));

        var failure = Assert.Single(error.Failures);
        Assert.Contains("No participant store is registered", failure);
        Assert.Contains("UseLiteDbStore", failure);
        Assert.DoesNotContain('\n', failure);
    }

    [Fact]
    public async Task Start_WithARelativeCoordinatorInstance_FailsWithOneLineNamingItsIndex()
    {
        using var dir = new TempDirectory();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => ParticipantHost.StartAsync(dir.File("p.db"),
            o => o.CoordinatorAddresses = [new Uri("http://127.0.0.1:5000"), new Uri("coordinator-2", UriKind.Relative)]));

        var failure = Assert.Single(error.Failures);
        Assert.StartsWith("ParticipantOptions.CoordinatorAddresses[1] ", failure);
        Assert.DoesNotContain('\n', failure);
    }

    [Fact]
    public void Options_HaveTheDocumentedDefaults()
    {
        var options = new ParticipantOptions();
        Assert.Equal(TimeSpan.FromMilliseconds(200), options.InDoubtRetryInitial);
        Assert.Equal(TimeSpan.FromSeconds(5), options.InDoubtRetryMax);
        Assert.Equal(TimeSpan.FromSeconds(30), options.InDoubtCheckAfter);
        Assert.Equal(64 * 1024, options.MaxPayloadBytes);
        Assert.Empty(options.CoordinatorAddresses);
    }

    [Fact]
    public void AddTwoPcClient_RegistersOneSharedClient()
    {
        var services = new ServiceCollection();
        services.AddTwoPcClient(o => o.CoordinatorAddress = new Uri("http://127.0.0.1:7000"));
        using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<TwoPcClient>();
        Assert.Same(client, provider.GetRequiredService<TwoPcClient>());
        Assert.Equal(new Uri("http://127.0.0.1:7000"), client.CoordinatorAddress);
    }

    [Fact]
    public void AddTwoPcParticipant_EndsTheProcessWhenTheStoreFails_UnlessAnotherFailStopIsRegistered()
    {
        var defaults = new ServiceCollection().AddLogging();
        defaults.AddTwoPcParticipant(_ => { }).UseLiteDbStore(o => o.DataPath = "unused.db");
        using var provider = defaults.BuildServiceProvider();
        Assert.IsType<ProcessFailStop>(provider.GetRequiredService<IStorageFailStop>());

        var custom = new ServiceCollection().AddLogging().AddSingleton<IStorageFailStop>(new RecordingFailStop());
        custom.AddTwoPcParticipant(_ => { }).UseLiteDbStore(o => o.DataPath = "unused.db");
        using var customProvider = custom.BuildServiceProvider();
        Assert.IsType<RecordingFailStop>(customProvider.GetRequiredService<IStorageFailStop>());
    }
}
