using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Storage.PostgreSql;

/// <summary>
/// A <see cref="TransactionRecord"/> as the <c>record</c> jsonb column holds it: every property (times as ISO 8601
/// strings with 100 ns precision, so they round-trip exactly; byte arrays as base64; enums as numbers), except the
/// branch payloads, which live in memory only (an undecided transaction aborts after a restart or a takeover).
/// </summary>
internal static class TransactionJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { DropBranchPayload } },
    };

    public static string Serialize(TransactionRecord record) => JsonSerializer.Serialize(record, Options);

    public static TransactionRecord Deserialize(string json) =>
        JsonSerializer.Deserialize<TransactionRecord>(json, Options) ?? throw new InvalidDataException("a stored transaction record is JSON null");

    private static void DropBranchPayload(JsonTypeInfo info)
    {
        if (info.Type != typeof(BranchRecord)) return;
        for (var i = info.Properties.Count - 1; i >= 0; i--)
        {
            if (info.Properties[i].Name == "payload") info.Properties.RemoveAt(i);
        }
    }
}
