namespace TwoPC.Client;

/// <summary>
/// The ambient distributed transaction of the current async flow (like <c>System.Transactions.Transaction.Current</c>).
/// Outgoing gRPC calls through <see cref="TwoPcPropagationInterceptor"/> carry it as metadata; incoming calls on a
/// participant host restore it.
/// </summary>
public sealed record TwoPcTransactionContext(string TransactionId, Uri CoordinatorAddress)
{
    private static readonly AsyncLocal<TwoPcTransactionContext?> Ambient = new();

    /// <summary>The transaction of the current async flow, or null.</summary>
    public static TwoPcTransactionContext? Current => Ambient.Value;

    /// <summary>Makes <paramref name="context"/> current until the returned scope is disposed.</summary>
    public static IDisposable Enter(TwoPcTransactionContext? context)
    {
        var previous = Ambient.Value;
        Ambient.Value = context;
        return new Scope(previous);
    }

    private sealed class Scope(TwoPcTransactionContext? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}
