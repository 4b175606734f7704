namespace TwoPC.Client.Serialization;

/// <summary>A payload could not be written or read as the type asked for.</summary>
public sealed class TwoPcSerializationException : TwoPcTransactionException
{
    /// <summary>Creates the exception for <paramref name="type"/>.</summary>
    public TwoPcSerializationException(Type type, string message, Exception? innerException = null)
        : base(null, $"payload of type {type.Name}: {message}", innerException) => PayloadType = type;

    /// <summary>The payload type.</summary>
    public Type PayloadType { get; }
}
