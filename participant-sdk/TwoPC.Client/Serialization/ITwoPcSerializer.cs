namespace TwoPC.Client.Serialization;

/// <summary>
/// Turns the typed payloads of enlistments, saga steps and resources into the bytes the protocol carries, and back.
/// The client and the participant must agree on it for a given payload type. The default,
/// <see cref="TwoPcSerializer"/>, writes protobuf messages in their binary encoding and everything else as UTF-8 JSON.
/// </summary>
public interface ITwoPcSerializer
{
    /// <summary>The bytes of <paramref name="value"/>.</summary>
    byte[] Serialize<T>(T value);

    /// <summary>The value encoded in <paramref name="data"/>.</summary>
    /// <exception cref="TwoPcSerializationException">The bytes are not a <typeparamref name="T"/>.</exception>
    T Deserialize<T>(ReadOnlyMemory<byte> data);
}
