using TwoPC.Demo.Cluster;
using TwoPC.Protocol.V1;
using Coord = TwoPC.Protocol.V1.Coordinator;

namespace TwoPC.Demo.Soak;

/// <summary>Reads from the coordinator what the client SDK does not offer.</summary>
internal static class Coordinator
{
    /// <summary>States in which a transaction is not final yet (undecided, or decided with phase 2 running).</summary>
    public static readonly TransactionState[] OpenStates =
    [
        TransactionState.Active, TransactionState.Preparing, TransactionState.Committing, TransactionState.Aborting,
        TransactionState.SagaRunning, TransactionState.SagaCompensating,
    ];

    /// <summary>The ids of every transaction the coordinator lists in an <see cref="OpenStates"/> state.</summary>
    public static async Task<List<string>> OpenTransactionsAsync(BankCluster cluster, CancellationToken cancellationToken)
    {
        var client = new Coord.CoordinatorClient(cluster.CoordinatorChannel);
        var ids = new List<string>();
        var token = "";
        do
        {
            var request = new ListTransactionsRequest { PageSize = 1000, PageToken = token };
            request.States.AddRange(OpenStates);
            var page = await client.ListTransactionsAsync(request, deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
            ids.AddRange(page.Transactions.Select(t => t.TransactionId));
            token = page.NextPageToken;
        }
        while (token.Length > 0);

        return ids;
    }
}
