using System.Globalization;
using System.Text;

namespace TwoPC.Demo.Load;

/// <summary>The banks' payload "account:amount" (see TwoPC.Demo.Bank's Payload).</summary>
internal static class BankPayload
{
    public static byte[] Format(int account, long amount) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{account}:{amount}"));
}
