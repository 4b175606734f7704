using Microsoft.AspNetCore.Routing;
using TwoPC.Participant.Grpc;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the TwoPC participant endpoints.</summary>
public static class ParticipantEndpointRouteBuilderExtensions
{
    /// <summary>Maps the Participant and Diagnostics gRPC services (the host needs HTTP/2).</summary>
    public static IEndpointRouteBuilder MapTwoPcParticipant(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGrpcService<ParticipantGrpcService>();
        endpoints.MapGrpcService<DiagnosticsGrpcService>();
        return endpoints;
    }
}
