using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace TwoPC.Samples.Bank;

/// <summary>A bank service that takes part in distributed transactions.</summary>
public static class BankParticipant
{
    /// <summary>Builds the bank's web application: its own LiteDB file, the coordinator's address, the accounts resource.</summary>
    public static WebApplication Build(string dataPath, Uri coordinator, string[]? args = null)
    {
        // begin-snippet: participant
        var builder = WebApplication.CreateBuilder(args ?? []);
        builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(e => e.Protocols = HttpProtocols.Http2));
        builder.Services.AddTwoPcParticipant(o => o.CoordinatorAddress = coordinator)
            .UseLiteDbStore(o => o.DataPath = dataPath)                 // the service's own LiteDB file
            .AddResource<AccountsResource, Transfer>("accounts");       // Prepare / Commit / Abort / Recover, typed
        var app = builder.Build();
        app.MapTwoPcParticipant();
        // end-snippet
        return app;
    }
}
