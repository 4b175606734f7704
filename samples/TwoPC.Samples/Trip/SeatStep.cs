using System.Collections.Concurrent;
using TwoPC.Participant.Resources;

namespace TwoPC.Samples.Trip;

/// <summary>Hold a seat on a flight.</summary>
public sealed record HoldSeat(string Flight, string Passenger);

/// <summary>Give a held seat back.</summary>
public sealed record ReleaseSeat(string Flight, string Passenger);

/// <summary>What holding a seat returns to the saga.</summary>
public sealed record SeatHold(string Flight, string Seat);

// begin-snippet: saga-step
/// <summary>A saga step: holds a seat, and gives it back if the trip is compensated.</summary>
public sealed class SeatStep : ISagaStepResource<HoldSeat, ReleaseSeat>
{
    private readonly ConcurrentDictionary<string, string> _seats = new();

    public ValueTask<StepResult> ExecuteAsync(HoldSeat hold, SagaStepContext context, CancellationToken cancellationToken)
    {
        if (hold.Flight == "FULL") return ValueTask.FromResult(StepResult.Failed($"flight {hold.Flight} is full"));
        var seat = _seats.GetOrAdd(hold.Flight + "/" + hold.Passenger, _ => $"{_seats.Count + 1}A");
        return ValueTask.FromResult(context.Succeeded(new SeatHold(hold.Flight, seat)));   // the saga reads it typed
    }

    public ValueTask CompensateAsync(ReleaseSeat release, SagaStepContext context, CancellationToken cancellationToken)
    {
        _seats.TryRemove(release.Flight + "/" + release.Passenger, out _);
        return ValueTask.CompletedTask;
    }

    public bool IsHeld(string flight, string passenger) => _seats.ContainsKey(flight + "/" + passenger);
}
// end-snippet
