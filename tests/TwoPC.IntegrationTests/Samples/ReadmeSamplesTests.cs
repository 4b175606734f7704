using System.Net;
using System.Net.Sockets;
using LiteDB;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using TwoPC.Client;
using TwoPC.IntegrationTests.Support;
using TwoPC.Participant.LiteDb;
using TwoPC.Samples.Bank;
using TwoPC.Samples.Caller;
using TwoPC.Samples.Trip;

namespace TwoPC.IntegrationTests.Samples;

/// <summary>
/// README's samples (samples/TwoPC.Samples) run against a live coordinator process, with the sample participants on
/// real Kestrel hosts and LiteDB files.
/// </summary>
public sealed class ReadmeSamplesTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "twopc-samples", Guid.NewGuid().ToString("N"));
    private ServiceProcess _coordinator = null!;
    private WebApplication _bankA = null!;
    private WebApplication _bankB = null!;
    private WebApplication _travel = null!;
    private ServiceProvider _callers = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _coordinator = ServiceProcess.Coordinator(_dir);
        await _coordinator.StartAsync();
        _bankA = await StartAsync(url => BankParticipant.Build(Path.Combine(_dir, "bank-a.db"), _coordinator.Address, ["--urls", url]));
        _bankB = await StartAsync(url => BankParticipant.Build(Path.Combine(_dir, "bank-b.db"), _coordinator.Address, ["--urls", url]));
        _travel = await StartAsync(url => TravelParticipant.Build(Path.Combine(_dir, "travel.db"), ["--urls", url]));
        await _bankA.Services.GetRequiredService<LiteDbParticipantStore>().WriteAsync(
            db => db.GetCollection("accounts").Upsert(new BsonDocument { ["_id"] = "alice", ["balance"] = 100L }), force: true, CancellationToken.None);
        _callers = new ServiceCollection().AddSampleCallers(_coordinator.Address).BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _callers.DisposeAsync();
        foreach (var app in new[] { _bankA, _bankB, _travel }) await app.DisposeAsync();
        _coordinator.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static Uri AddressOf(WebApplication app) => new(app.Urls.Single());

    private static async Task<WebApplication> StartAsync(Func<string, WebApplication> build)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var url = $"http://127.0.0.1:{((IPEndPoint)socket.LocalEndPoint!).Port}";
        socket.Close();
        var app = build(url);
        await app.StartAsync();
        return app;
    }

    [Fact]
    public async Task Transfer_Commits_ThenOneThatWouldOverdraw_AbortsWithTheReason_AndChangesNothing()
    {
        var caller = _callers.GetRequiredService<TransferCaller>();
        var a = _bankA.Services.GetRequiredService<AccountsResource>();
        var b = _bankB.Services.GetRequiredService<AccountsResource>();

        var first = await caller.TransferAsync(AddressOf(_bankA), AddressOf(_bankB), "alice", "bob", 30, CancellationToken.None);
        Assert.True(first.IsCommitted, first.Reason);
        await Eventually(() => a.Balance("alice") == 70 && b.Balance("bob") == 30, "the committed transfer reached both banks' files");

        var second = await caller.TransferAsync(AddressOf(_bankA), AddressOf(_bankB), "alice", "bob", 500, CancellationToken.None);
        Assert.False(second.IsCommitted);
        Assert.Contains("insufficient funds in alice", second.Reason);
        Assert.Equal(70, a.Balance("alice"));
        Assert.Equal(30, b.Balance("bob"));
    }

    [Fact]
    public async Task TripSaga_Completes_WithTheSeatTyped_AndAFullFlightCompensatesTheOtherSeat()
    {
        var booker = _callers.GetRequiredService<TripBooker>();
        var seats = _travel.Services.GetRequiredService<SeatStep>();

        var booked = await booker.BookAsync(AddressOf(_travel), "carol", "LH400", "LH401", CancellationToken.None);
        Assert.Equal(SagaOutcome.Completed, booked.Outcome);
        Assert.Equal("LH400", booked.Step("outbound")!.OutputAs<SeatHold>()!.Flight);
        Assert.True(seats.IsHeld("LH400", "carol") && seats.IsHeld("LH401", "carol"));

        var failed = await booker.BookAsync(AddressOf(_travel), "dave", "LH402", "FULL", CancellationToken.None);
        Assert.Equal(SagaOutcome.Compensated, failed.Outcome);
        Assert.False(seats.IsHeld("LH402", "dave"), "the outbound seat of a compensated trip is still held");
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow >= until) Assert.Fail($"timed out waiting until {what}");
            await Task.Delay(20);
        }
    }
}
