using TwoPC.Client;
using TwoPC.Samples.Trip;

namespace TwoPC.Samples.Caller;

/// <summary>Books trips as sagas: each step commits on its own, and a failure compensates what already ran.</summary>
public sealed class TripBooker(ITwoPcClient client)
{
    /// <summary>Holds an outbound and a return seat in parallel; returns the saga's result.</summary>
    public async Task<SagaResult> BookAsync(Uri travel, string passenger, string outbound, string inbound, CancellationToken cancellationToken)
    {
        // begin-snippet: saga
        var started = await client.Saga()
            .Parallel(p => p
                .Step("outbound", travel, "seats", new HoldSeat(outbound, passenger), new ReleaseSeat(outbound, passenger))
                .Step("inbound", travel, "seats", new HoldSeat(inbound, passenger), new ReleaseSeat(inbound, passenger),
                    s => s.Retry(maxAttempts: 3, initialBackoff: TimeSpan.FromMilliseconds(100), maxBackoff: TimeSpan.FromSeconds(1))))
            .StartAsync(cancellationToken);                                // returns at once; the coordinator runs it

        var result = await client.WaitForSagaAsync(started.TransactionId, cancellationToken: cancellationToken);
        // Completed: every step succeeded. Compensated: a step failed and the others were undone.
        var seat = result.Step("outbound")?.OutputAs<SeatHold>();       // typed output of the action
        // end-snippet
        _ = seat;
        return result;
    }
}
