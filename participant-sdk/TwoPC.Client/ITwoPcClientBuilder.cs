using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using TwoPC.Client.Serialization;

namespace TwoPC.Client;

/// <summary>Configures the client registered by <c>AddTwoPcClient</c>.</summary>
public interface ITwoPcClientBuilder
{
    /// <summary>The service collection.</summary>
    IServiceCollection Services { get; }

    /// <summary>Adjusts the options of the client's gRPC channel (handler, message sizes, credentials).</summary>
    ITwoPcClientBuilder ConfigureChannel(Action<GrpcChannelOptions> configure);

    /// <summary>Writes typed payloads and reads typed outputs with <paramref name="serializer"/> (see <see cref="TwoPcClientOptions.Serializer"/>).</summary>
    ITwoPcClientBuilder UseSerializer(ITwoPcSerializer serializer);
}
