using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TwoPC.IntegrationTests.Support;
using TwoPC.Client;
using TwoPC.Participant.Resources;

namespace TwoPC.IntegrationTests.TwoPhase;

/// <summary>
/// A resource whose Prepare throws, hosted by the real participant SDK in the test process, under a real coordinator
/// process: the exception is a definite ABORT vote, so the client hears "aborted" with the exception's message at once,
/// not "no vote before the deadline" after the coordinator retried Prepare until the transaction timed out.
/// </summary>
public sealed class ThrowingPrepareTests(CoordinatorFixture fixture) : IClassFixture<CoordinatorFixture>, IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "twopc-it", Guid.NewGuid().ToString("N"));
    private WebApplication _participant = null!;
    private Uri _address = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        var port = FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddSingleton<FrozenAccounts>();
        builder.Services.AddSingleton<GoodAccounts>();
        builder.Services.AddTwoPcParticipant(_ => { })
            .UseLiteDbStore(o => o.DataPath = Path.Combine(_dir, "p.db"))
            .AddResource<FrozenAccounts>("frozen")
            .AddResource<GoodAccounts>("good");
        _participant = builder.Build();
        _participant.MapTwoPcParticipant();
        await _participant.StartAsync();
        _address = new Uri($"http://127.0.0.1:{port}");
    }

    public async Task DisposeAsync()
    {
        await _participant.DisposeAsync();
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task PrepareThrows_ClientHearsAbortedWithTheExceptionsMessage_WithoutRetries()
    {
        using var client = new TwoPcClient(new TwoPcClientOptions { CoordinatorAddress = fixture.Coordinator.Address });
        var before = (await fixture.Coordinator.StatsAsync()).Counters.GetValueOrDefault("prepare_retries");
        var tx = await client.BeginAsync(TimeSpan.FromSeconds(30));
        await tx.EnlistAsync(_address, "frozen", new byte[] { 1 });
        await tx.EnlistAsync(_address, "good", new byte[] { 2 });

        var outcome = await tx.CommitAsync(waitForCompletion: true);

        Assert.Equal(TransactionOutcomeKind.Aborted, outcome.Kind);
        Assert.Contains("voted abort", outcome.Reason);
        Assert.Contains("account 42 is frozen", outcome.Reason);
        Assert.DoesNotContain("deadline", outcome.Reason);
        Assert.Equal(1, _participant.Services.GetRequiredService<FrozenAccounts>().Prepares);
        Assert.Equal(before, (await fixture.Coordinator.StatsAsync()).Counters.GetValueOrDefault("prepare_retries"));
        Assert.Equal(0, _participant.Services.GetRequiredService<GoodAccounts>().Commits);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Throws in Prepare.</summary>
    private sealed class FrozenAccounts : ITransactionalResource
    {
        private int _prepares;

        public int Prepares => Volatile.Read(ref _prepares);

        public ValueTask<PrepareResult> PrepareAsync(PrepareContext context, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _prepares);
            throw new InvalidOperationException("account 42 is frozen");
        }

        public ValueTask CommitAsync(BranchContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask AbortAsync(BranchContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask RecoverAsync(BranchContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    /// <summary>Votes yes; counts commits.</summary>
    private sealed class GoodAccounts : ITransactionalResource
    {
        private int _commits;

        public int Commits => Volatile.Read(ref _commits);

        public ValueTask<PrepareResult> PrepareAsync(PrepareContext context, CancellationToken cancellationToken) => ValueTask.FromResult(PrepareResult.Prepared());

        public ValueTask CommitAsync(BranchContext context, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _commits);
            return ValueTask.CompletedTask;
        }

        public ValueTask AbortAsync(BranchContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask RecoverAsync(BranchContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
