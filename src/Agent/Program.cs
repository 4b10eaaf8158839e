using ConOps.Agent;
using ConOps.Agent.Observability;

if (AgentCommands.TryRun(args) is { } exitCode) { return exitCode; }

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddConOpsAgent(builder.Configuration);
builder.Services.AddAgentObservability(builder.Configuration);
await builder.Build().RunAsync();
return 0;
