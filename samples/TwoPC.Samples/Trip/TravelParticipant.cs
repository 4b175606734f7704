using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace TwoPC.Samples.Trip;

/// <summary>A travel service that hosts the seat step of trip sagas.</summary>
public static class TravelParticipant
{
    /// <summary>Builds the travel service's web application with its own LiteDB file.</summary>
    public static WebApplication Build(string dataPath, string[]? args = null)
    {
        var builder = WebApplication.CreateBuilder(args ?? []);
        builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(e => e.Protocols = HttpProtocols.Http2));
        builder.Services.AddTwoPcParticipant(_ => { })
            .UseLiteDbStore(o => o.DataPath = dataPath)
            .AddSagaStep<SeatStep, HoldSeat, ReleaseSeat>("seats");
        var app = builder.Build();
        app.MapTwoPcParticipant();
        return app;
    }
}
