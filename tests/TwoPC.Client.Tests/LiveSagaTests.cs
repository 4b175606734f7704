using TwoPC.Client.Tests.Infrastructure;

namespace TwoPC.Client.Tests;

/// <summary>Sagas started without waiting, waited for later, and their typed outputs, against a real coordinator.</summary>
public sealed class LiveSagaTests : LiveCoordinatorTest
{
    [Fact]
    public async Task StartAsync_ReturnsWhileTheSagaRuns_AndWaitForSaga_ReturnsItsEnd()
    {
        var started = await Client.Saga()
            .Step("flight", Participant.Address, "flight", new FlightRequest("LX 318", 2), new FlightCancellation("LX 318"))
            .Step("gated", Participant.Address, "gated", new FlightRequest("none", 0), new FlightCancellation("none"))
            .StartAsync();

        // The gated step cannot have finished: its participant has not answered yet.
        Assert.Equal(SagaOutcome.Running, started.Outcome);
        Assert.Equal(TransactionMode.Saga, (await Client.GetTransactionAsync(started.TransactionId)).Mode);

        Participant.Gate.SetResult();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ended = await Client.WaitForSagaAsync(started.TransactionId, TimeSpan.FromMilliseconds(20), timeout.Token);

        Assert.Equal((started.TransactionId, SagaOutcome.Completed), (ended.TransactionId, ended.Outcome));
        var flight = ended.Step("flight")!;
        Assert.Equal("flight", flight.Resource);
        var booking = flight.OutputAs<Booking>();
        Assert.Equal("flight", booking.Step);
        Assert.Equal(new FlightRequest("LX 318", 2), Client.Options.Serializer.Deserialize<FlightRequest>(System.Text.Encoding.UTF8.GetBytes(booking.Received)));
    }

    [Fact]
    public async Task RunAsync_TypedSteps_ReadsTheOutputTyped()
    {
        var result = await Client.Saga()
            .Step("flight", Participant.Address, "flight", new FlightRequest("LX 318", 2), new FlightCancellation("LX 318"))
            .Parallel(g => g.Step("hotel", Participant.Address, "hotel", new FlightRequest("Hotel", 1), new FlightCancellation("Hotel")))
            .RunAsync();

        Assert.Equal(SagaOutcome.Completed, result.Outcome);
        Assert.Equal("hotel", result.Step("hotel")!.OutputAs<Booking>().Step);
        Assert.Equal("hotel", result.Step("hotel")!.Resource);
        Assert.Null(result.Step("boat"));
    }

    [Fact]
    public async Task WaitForSaga_OnATwoPhaseTransaction_IsAConflict()
    {
        var tx = await Client.BeginAsync();
        await tx.CommitAsync();

        await Assert.ThrowsAsync<TransactionConflictException>(() => Client.WaitForSagaAsync(tx.Id));
    }
}

internal sealed record FlightRequest(string Flight, int Seats);

internal sealed record FlightCancellation(string Flight);
