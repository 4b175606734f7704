using Grpc.Net.Client;
using TwoPC.Client.Serialization;

namespace TwoPC.Client;

/// <summary>Options of <see cref="TwoPcClient"/>, validated when the client is created (or the host starts).</summary>
public sealed class TwoPcClientOptions
{
    /// <summary>
    /// The coordinator's gRPC address (absolute http:// or https:// URI): the same as a one-element
    /// <see cref="CoordinatorAddresses"/>, tried before the addresses listed there. Default none; this or
    /// <see cref="CoordinatorAddresses"/> is required.
    /// </summary>
    public Uri? CoordinatorAddress { get; set; }

    /// <summary>
    /// The gRPC addresses of coordinator instances sharing one decision log (absolute http:// or https:// URIs), in
    /// the order they are tried: a new transaction is begun at the first that answers, a transaction's calls go to
    /// the instance it was begun at (or the owner that instance names), and an instance that cannot answer passes
    /// the call to the next. Default empty; this or <see cref="CoordinatorAddress"/> is required.
    /// </summary>
    public IList<Uri> CoordinatorAddresses { get; set; } = new List<Uri>();

    /// <summary>Deadline of each call to the coordinator other than Commit and a waiting RunSaga. Default 10 s.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Deadline of Commit and waiting RunSaga calls, which wait for the protocol to finish. Default 60 s.</summary>
    public TimeSpan CompletionTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Writes typed enlistment and saga payloads and reads typed step outputs. Default <see cref="TwoPcSerializer.Default"/>
    /// (protobuf messages binary, other types UTF-8 JSON); the participants must read payloads with the same format.
    /// </summary>
    public ITwoPcSerializer Serializer { get; set; } = TwoPcSerializer.Default;

    /// <summary>Adjusts each gRPC channel's options (handler, message sizes, credentials) before it is created (one channel per coordinator instance). Default none.</summary>
    public Action<GrpcChannelOptions>? ConfigureChannel { get; set; }

    /// <summary><see cref="CoordinatorAddress"/> (when set) followed by <see cref="CoordinatorAddresses"/>, each instance once.</summary>
    internal IReadOnlyList<Uri> AllCoordinatorAddresses()
    {
        var all = new List<Uri>();
        foreach (var address in CoordinatorAddresses is null ? [CoordinatorAddress] : CoordinatorAddresses.Prepend(CoordinatorAddress))
        {
            if (address is not null && !all.Exists(a => CoordinatorFailures.SameInstance(a, address))) all.Add(address);
        }

        return all;
    }
}
