using ConOps.Agent;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddConOpsAgent(builder.Configuration);
await builder.Build().RunAsync();
