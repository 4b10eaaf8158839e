using ConOps.Agent;
using ConOps.Agent.Reconcile;
using ConOps.Contract;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ConOps.Bench.Agent;

/// <summary>The agent's own registrations in-process, with no console, a temp data directory and quiet logs.</summary>
public sealed class BenchAgent : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly string _dataDirectory;
    private readonly bool _started;
    private long _generation;

    private BenchAgent(IHost host, string dataDirectory, bool started)
    {
        _host = host;
        _dataDirectory = dataDirectory;
        _started = started;
    }

    public Reconciler Reconciler => _host.Services.GetRequiredService<Reconciler>();

    public ServiceStatusBook Statuses => _host.Services.GetRequiredService<ServiceStatusBook>();

    public AgentOptions Options => _host.Services.GetRequiredService<IOptions<AgentOptions>>().Value;

    public static async Task<BenchAgent> CreateAsync(string dockerEndpoint, bool start)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "conops-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConOps:Agent:ConsoleUrl"] = "http://127.0.0.1:9",
            ["ConOps:Agent:HostName"] = "bench",
            ["ConOps:Agent:DataDirectory"] = dataDirectory,
            ["ConOps:Agent:DockerEndpoint"] = dockerEndpoint,
            ["ConOps:Agent:StopTimeout"] = "00:00:01",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Error);
        builder.Services.AddConOpsAgent(builder.Configuration);
        var host = builder.Build();
        if (start)
        {
            await host.StartAsync();
        }
        return new BenchAgent(host, dataDirectory, start);
    }

    public void Deploy(AppDesiredState app)
    {
        var state = new DesiredState { Generation = ++_generation };
        state.Apps.Add(app);
        _host.Services.GetRequiredService<DesiredStateStore>().TryReplace(state);
        Reconciler.Enqueue(app.App);
    }

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            await _host.StopAsync();
        }
        _host.Dispose();
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }
}
