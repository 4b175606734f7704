using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using Google.Protobuf;

namespace TwoPC.Client.Serialization;

/// <summary>
/// The default payload serializer: a protobuf message (<see cref="IMessage{T}"/>) in its binary encoding, any other
/// type as UTF-8 JSON with <see cref="JsonSerializerDefaults.Web"/> (or the options given), <see cref="byte"/> arrays
/// as they are.
/// </summary>
public sealed class TwoPcSerializer : ITwoPcSerializer
{
    private static readonly ConcurrentDictionary<Type, MessageParser> Parsers = new();
    private readonly JsonSerializerOptions _json;

    /// <summary>With <see cref="JsonSerializerDefaults.Web"/> for JSON payloads.</summary>
    public TwoPcSerializer() : this(new JsonSerializerOptions(JsonSerializerDefaults.Web))
    {
    }

    /// <summary>With <paramref name="json"/> for JSON payloads.</summary>
    public TwoPcSerializer(JsonSerializerOptions json)
    {
        ArgumentNullException.ThrowIfNull(json);
        _json = json;
    }

    /// <summary>The shared default instance.</summary>
    public static TwoPcSerializer Default { get; } = new();

    /// <inheritdoc />
    public byte[] Serialize<T>(T value)
    {
        if (value is byte[] bytes) return bytes;
        if (value is IMessage message) return message.ToByteArray();
        try
        {
            return JsonSerializer.SerializeToUtf8Bytes(value, _json);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            throw new TwoPcSerializationException(typeof(T), "cannot be written as JSON", ex);
        }
    }

    /// <inheritdoc />
    public T Deserialize<T>(ReadOnlyMemory<byte> data)
    {
        if (typeof(T) == typeof(byte[])) return (T)(object)data.ToArray();
        if (typeof(IMessage).IsAssignableFrom(typeof(T)))
        {
            try
            {
                return (T)(object)ParserOf(typeof(T)).ParseFrom(data.Span);
            }
            catch (InvalidProtocolBufferException ex)
            {
                throw new TwoPcSerializationException(typeof(T), "not a valid protobuf message", ex);
            }
        }

        try
        {
            return JsonSerializer.Deserialize<T>(data.Span, _json)
                ?? throw new TwoPcSerializationException(typeof(T), "the JSON payload is null");
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            throw new TwoPcSerializationException(typeof(T), "not valid JSON for this type", ex);
        }
    }

    private static MessageParser ParserOf(Type type) => Parsers.GetOrAdd(type, static t =>
        t.GetProperty("Parser", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as MessageParser
        ?? throw new TwoPcSerializationException(t, "the protobuf message type has no static Parser property"));
}
