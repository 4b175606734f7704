using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using TwoPC.Client.Serialization;

namespace TwoPC.Client;

internal sealed class TwoPcClientBuilder(IServiceCollection services) : ITwoPcClientBuilder
{
    public IServiceCollection Services { get; } = services;

    public ITwoPcClientBuilder ConfigureChannel(Action<GrpcChannelOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure<TwoPcClientOptions>(o => o.ConfigureChannel += configure);
        return this;
    }

    public ITwoPcClientBuilder UseSerializer(ITwoPcSerializer serializer)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        Services.Configure<TwoPcClientOptions>(o => o.Serializer = serializer);
        return this;
    }
}
