using System.Globalization;
using System.Text;

namespace TwoPC.Demo.Bank.Accounts;

/// <summary>The payload of the <c>accounts</c> resource and of the saga steps: <c>"account:amount"</c>.</summary>
public static class Payload
{
    /// <summary>Parses "account:amount"; the amount of the <c>accounts</c> resource is signed (a delta).</summary>
    public static (int Account, long Amount) Parse(ReadOnlyMemory<byte> payload)
    {
        var text = Encoding.UTF8.GetString(payload.Span);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0
            || !int.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var account)
            || !long.TryParse(text.AsSpan(colon + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var amount))
            throw new FormatException($"payload must be 'account:amount', got '{text}'");
        return (account, amount);
    }

    /// <summary>Formats "account:amount".</summary>
    public static byte[] Format(int account, long amount) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{account}:{amount}"));
}
