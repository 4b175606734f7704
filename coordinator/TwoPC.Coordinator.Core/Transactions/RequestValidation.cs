namespace TwoPC.Coordinator.Transactions;

/// <summary>
/// Field checks shared by the 2PC and saga paths. Each throws <see cref="InvalidRequestException"/> naming the field
/// as the .proto spells it; nothing has been changed when one throws.
/// </summary>
internal static class RequestValidation
{
    /// <summary>Throws unless <paramref name="transactionId"/> is a transaction id; returns it.</summary>
    public static string TransactionId(string transactionId, string field)
    {
        if (string.IsNullOrWhiteSpace(transactionId)) throw new InvalidRequestException(field, "is required");
        if (!TransactionIds.IsValid(transactionId))
            throw new InvalidRequestException(field, $"'{Truncate(transactionId)}' is not a transaction id (32 lower-case hex digits)");
        return transactionId;
    }

    /// <summary>Throws unless <paramref name="address"/> is an absolute http(s) URI.</summary>
    public static void Address(string address, string field)
    {
        if (string.IsNullOrWhiteSpace(address)) throw new InvalidRequestException(field, "is required");
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
            throw new InvalidRequestException(field, $"'{Truncate(address)}' is not an absolute http:// or https:// address");
    }

    /// <summary>Throws unless <paramref name="name"/> is a non-empty name of at most <see cref="ProtocolLimits.MaxNameLength"/> characters.</summary>
    public static void Name(string name, string field)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new InvalidRequestException(field, "is required");
        if (name.Length > ProtocolLimits.MaxNameLength) throw new InvalidRequestException(field, $"must be at most {ProtocolLimits.MaxNameLength} characters");
    }

    /// <summary>Throws unless the optional key <paramref name="key"/> has at most <see cref="ProtocolLimits.MaxKeyLength"/> characters.</summary>
    public static void Key(string? key, string field)
    {
        if (key is { Length: > ProtocolLimits.MaxKeyLength }) throw new InvalidRequestException(field, $"must be at most {ProtocolLimits.MaxKeyLength} characters");
    }

    /// <summary>A value cut to 64 characters for an error message.</summary>
    public static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "…";
}
