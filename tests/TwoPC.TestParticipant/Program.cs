using Microsoft.AspNetCore.Server.Kestrel.Core;
using TwoPC.TestParticipant;

// A ledger participant. Arguments: --urls http://127.0.0.1:PORT --TwoPC:Participant:DataPath=FILE
// --TwoPC:Participant:CoordinatorAddress=URI [--Ledger:InitialBalance=N] [--Ledger:HangCommit=true]
// [--Ledger:FailFlushAtCommit=true].
var builder = WebApplication.CreateBuilder(args);
builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(e => e.Protocols = HttpProtocols.Http2));
builder.Services.AddSingleton<Ledger>();
builder.Services.AddSingleton<FlushFault>();
// Ledger:FailFlushAtCommit=true: the first Commit's record flush fails, so the store fail-stops the process.
if (builder.Configuration.GetValue("Ledger:FailFlushAtCommit", false)) builder.Services.AddSingleton<TwoPC.Durability.IFileFlusher>(sp => sp.GetRequiredService<FlushFault>());
// UNSAFE, tests only: --UnsafeTestOnly:SkipFlush=true makes every forced write skip fdatasync (see the power-loss tests).
if (builder.Configuration.GetValue("UnsafeTestOnly:SkipFlush", false)) builder.Services.AddSingleton<TwoPC.Durability.IFileFlusher, UnsafeSkippedFlusher>();
builder.Services
    .AddTwoPcParticipant(o => builder.Configuration.GetSection("TwoPC:Participant").Bind(o))
    .UseLiteDbStore(o => builder.Configuration.GetSection("TwoPC:Participant").Bind(o))
    .AddResource<LedgerResource>("ledger")
    .AddSagaStep<LedgerStep>("ledger-step");
var app = builder.Build();
app.MapTwoPcParticipant();
app.Services.GetRequiredService<Ledger>();
app.Run();
