using ConOps.Console.Api;
using ConOps.Console.Apps;
using ConOps.Console.Auth;
using ConOps.Console.Components;
using ConOps.Console.Compose;
using ConOps.Console.Fleet;
using ConOps.Console.History;
using ConOps.Console.Hosting;
using ConOps.Console.Logs;
using ConOps.Console.Notifications;
using ConOps.Console.Observability;
using ConOps.Console.Sync;
using ConOps.Console.Webhooks;

if (ConfigCommand.IsInvocation(args)) { return await ConfigCommand.RunAsync(args); }

var builder = WebApplication.CreateBuilder(args);
builder.AddConsoleHosting();
builder.Services.AddHistory();
builder.Services.AddFleet();
builder.Services.AddGitSync();
builder.Services.AddLocalAgent(builder.Configuration);
builder.Services.AddConsoleAuth();
builder.Services.AddConOpsApi();
builder.Services.AddConsoleUi();
builder.Services.AddObservability();
builder.Services.AddNotifications();

var app = builder.Build();
await app.Services.MigrateHistoryAsync();
app.LogEffectiveSettings();
app.UseConsoleAuth();
app.MapConsoleUi();
app.MapConOpsApi();
app.MapFleetEndpoints();
app.MapLogEndpoints();
app.MapApps();
app.MapSyncApi();
app.MapWebhooks();
app.MapObservability();
app.MapNotifications();
app.MapFleet(new Uri(app.Configuration["ConOps:Console:AgentUrl"] ?? new ConOps.Console.ConsoleOptions().AgentUrl).Port);
await app.RunAsync();
return 0;
