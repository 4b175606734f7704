namespace TwoPC.Client.Tests.Infrastructure;

/// <summary>Base of tests against a real in-process coordinator and a fake participant, with a client on the coordinator.</summary>
public abstract class LiveCoordinatorTest : IAsyncLifetime
{
    internal CoordinatorHost Coordinator { get; private set; } = null!;

    internal FakeParticipant Participant { get; private set; } = null!;

    internal TwoPcClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Coordinator = await CoordinatorHost.StartAsync();
        Participant = await FakeParticipant.StartAsync();
        Client = new TwoPcClient(new TwoPcClientOptions { CoordinatorAddress = Coordinator.Address });
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Participant.DisposeAsync();
        await Coordinator.DisposeAsync();
    }

    /// <summary>Polls the coordinator until <paramref name="condition"/> holds for the transaction's record (generous timeout).</summary>
    internal async Task<TransactionStatus> EventuallyAsync(string transactionId, Func<TransactionStatus, bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var status = await Client.GetTransactionAsync(transactionId, timeout.Token);
            if (condition(status)) return status;
            await Task.Delay(20, timeout.Token);
        }
    }
}
