using Grpc.Net.Client;
using TwoPC.Client.Serialization;

namespace TwoPC.Client;

/// <summary>Options of <see cref="TwoPcClient"/>, validated when the client is created (or the host starts).</summary>
public sealed class TwoPcClientOptions
{
    /// <summary>The coordinator's gRPC address (absolute http:// or https:// URI). Required.</summary>
    public Uri? CoordinatorAddress { get; set; }

    /// <summary>Deadline of each call to the coordinator other than Commit and a waiting RunSaga. Default 10 s.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Deadline of Commit and waiting RunSaga calls, which wait for the protocol to finish. Default 60 s.</summary>
    public TimeSpan CompletionTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Writes typed enlistment and saga payloads and reads typed step outputs. Default <see cref="TwoPcSerializer.Default"/>
    /// (protobuf messages binary, other types UTF-8 JSON); the participants must read payloads with the same format.
    /// </summary>
    public ITwoPcSerializer Serializer { get; set; } = TwoPcSerializer.Default;

    /// <summary>Adjusts the gRPC channel's options (handler, message sizes, credentials) before it is created. Default none.</summary>
    public Action<GrpcChannelOptions>? ConfigureChannel { get; set; }
}
