namespace TwoPC.Client;

/// <summary>
/// The client's checks of values a caller may get wrong at run time, with the coordinator's limits
/// (<see cref="ProtocolLimits"/>), so that a bad value fails before a call with
/// <see cref="TwoPcInvalidRequestException"/> naming the field as the .proto spells it.
/// </summary>
internal static class ClientValidation
{
    private const int MaxNameLength = ProtocolLimits.MaxNameLength;
    private const int MaxKeyLength = ProtocolLimits.MaxKeyLength;

    /// <summary>Throws unless <paramref name="value"/> is a non-blank name of at most <see cref="MaxNameLength"/> characters.</summary>
    public static string Name(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value)) throw Invalid(field, "is required");
        if (value.Length > MaxNameLength) throw Invalid(field, $"is {value.Length} characters; the limit is {MaxNameLength}");
        return value;
    }

    /// <summary>Throws unless <paramref name="value"/> is null or a key of at most <see cref="MaxKeyLength"/> characters.</summary>
    public static string OptionalKey(string? value, string field)
    {
        if (value is null) return "";
        if (value.Length > MaxKeyLength) throw Invalid(field, $"is {value.Length} characters; the limit is {MaxKeyLength}");
        return value;
    }

    /// <summary>Throws unless <paramref name="value"/> is a non-blank key of at most <see cref="MaxKeyLength"/> characters.</summary>
    public static string Key(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value)) throw Invalid(field, "is required");
        return OptionalKey(value, field);
    }

    /// <summary>Throws unless <paramref name="participant"/> is an absolute http:// or https:// address.</summary>
    public static string Participant(Uri participant, string field)
    {
        ArgumentNullException.ThrowIfNull(participant);
        if (!participant.IsAbsoluteUri || participant.Scheme is not ("http" or "https"))
            throw Invalid(field, $"'{participant}' is not an absolute http:// or https:// address");
        return participant.ToString();
    }

    public static TwoPcInvalidRequestException Invalid(string field, string problem) => new(field, $"{field}: {problem}");
}
