using Microsoft.AspNetCore.Server.Kestrel.Core;
using TwoPC.Coordinator.Hosting;

// The coordinator process. Settings come from appsettings.json, environment (TwoPC__Coordinator__DataPath=...) or
// the command line (--TwoPC:Coordinator:DataPath=...). Listen address: --urls http://127.0.0.1:5000.
var builder = WebApplication.CreateBuilder(args);
builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(e => e.Protocols = HttpProtocols.Http2));
builder.Services.AddTwoPcCoordinator(o => builder.Configuration.GetSection("TwoPC:Coordinator").Bind(o));
var app = builder.Build();
app.MapTwoPcCoordinator();
app.Run();

/// <summary>Entry point, visible to tests.</summary>
public partial class Program;
