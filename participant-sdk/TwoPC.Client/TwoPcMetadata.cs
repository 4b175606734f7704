using Grpc.Core;

namespace TwoPC.Client;

/// <summary>The gRPC metadata keys that carry the ambient transaction from service to service.</summary>
public static class TwoPcMetadata
{
    /// <summary>The transaction id header.</summary>
    public const string TransactionIdHeader = "twopc-transaction-id";

    /// <summary>The coordinator address header (absolute URI).</summary>
    public const string CoordinatorHeader = "twopc-coordinator";

    /// <summary>Adds the two headers for <paramref name="context"/> to <paramref name="headers"/>.</summary>
    public static void Write(Metadata headers, TwoPcTransactionContext context)
    {
        headers.Add(TransactionIdHeader, context.TransactionId);
        headers.Add(CoordinatorHeader, context.CoordinatorAddress.ToString());
    }

    /// <summary>Reads the transaction from request headers; null when absent or malformed.</summary>
    public static TwoPcTransactionContext? Read(Metadata? headers)
    {
        var id = headers?.GetValue(TransactionIdHeader);
        var coordinator = headers?.GetValue(CoordinatorHeader);
        if (string.IsNullOrEmpty(id) || !Uri.TryCreate(coordinator, UriKind.Absolute, out var address)) return null;
        return new TwoPcTransactionContext(id, address);
    }
}
