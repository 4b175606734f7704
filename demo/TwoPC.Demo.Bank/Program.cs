using Microsoft.AspNetCore.Server.Kestrel.Core;
using TwoPC.Demo.Bank.Accounts;
using TwoPC.Demo.Bank.Services;

// A bank of the demo. Arguments: --urls http://127.0.0.1:PORT --TwoPC:Participant:DataPath=FILE
// --TwoPC:Participant:CoordinatorAddress=URI --Bank:Name=bank-a --Bank:Accounts=100 --Bank:InitialBalance=1000.
var builder = WebApplication.CreateBuilder(args);
builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(e => e.Protocols = HttpProtocols.Http2));
builder.Services.AddOptions<BankOptions>().Bind(builder.Configuration.GetSection("Bank"))
    .Validate(o => o.Accounts > 0 && o.InitialBalance >= 0, "Bank:Accounts must be positive and Bank:InitialBalance non-negative.")
    .ValidateOnStart();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<AccountBook>();
builder.Services
    .AddTwoPcParticipant(o => builder.Configuration.GetSection("TwoPC:Participant").Bind(o))
    .UseLiteDbStore(o => builder.Configuration.GetSection("TwoPC:Participant").Bind(o))
    .AddResource<AccountsResource>("accounts")
    .AddResource<AuditResource>("audit")
    .AddSagaStep<DebitStep>("debit")
    .AddSagaStep<CreditStep>("credit");
var app = builder.Build();
app.MapTwoPcParticipant();
app.MapGrpcService<BankGrpcService>();
app.Services.GetRequiredService<AccountBook>();
app.Run();
