using ConOps.Agent;
using ConOps.Agent.Hosting;
using ConOps.Agent.Observability;

if (AgentCommands.TryRun(args) is { } exitCode) { return exitCode; }

var builder = AgentHost.CreateBuilder(args);
if (AgentHost.DataDirectoryProblem(builder.Configuration) is { } problem) { Console.Error.WriteLine(problem); return 73; }
builder.Services.AddConOpsAgent(builder.Configuration);
builder.Services.AddAgentObservability(builder.Configuration);
await builder.Build().RunAsync();
return 0;
