using TwoPC.Coordinator.Services;

// Extensions live in ASP.NET Core's routing namespace, next to MapGrpcService.
namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the coordinator's gRPC services.</summary>
public static class CoordinatorEndpointExtensions
{
    /// <summary>Maps the Coordinator, Admin and Diagnostics gRPC services.</summary>
    public static IEndpointRouteBuilder MapTwoPcCoordinator(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<CoordinatorGrpcService>();
        endpoints.MapGrpcService<AdminGrpcService>();
        endpoints.MapGrpcService<DiagnosticsGrpcService>();
        return endpoints;
    }
}
