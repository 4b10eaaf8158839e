using ConOps.Agent;
using ConOps.Agent.Reconcile;
using ConOps.Contract;
using ConOps.IntegrationTests.Support;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ConOps.IntegrationTests.Agent;

/// <summary>
/// The real agent (its own service registrations) in the test process, against the real engine, with its own
/// data directory and no console (the console URL points at a closed port, as when the console is away).
/// Tests either drive single reconciles or start the whole agent (loop, engine events, periodic pass).
/// </summary>
public sealed class AgentUnderTest : IAsyncDisposable
{
    private readonly IHost _host;
    private long _generation;
    private bool _started;

    public AgentUnderTest(string? dockerEndpoint = null, IDictionary<string, string?>? settings = null)
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "conops-agent-" + Guid.NewGuid().ToString("N")[..8]);
        var builder = Host.CreateApplicationBuilder();
        var values = new Dictionary<string, string?>
        {
            ["ConOps:Agent:ConsoleUrl"] = $"http://127.0.0.1:{ConsoleProcess.FreePort()}",
            ["ConOps:Agent:HostName"] = "test-host",
            ["ConOps:Agent:DataDirectory"] = DataDirectory,
            ["ConOps:Agent:DockerEndpoint"] = dockerEndpoint ?? TestEnvironment.DockerHost,
            ["ConOps:Agent:StopTimeout"] = "00:00:01",
            ["ConOps:Agent:StabilizationWindow"] = "00:00:01",
            ["ConOps:Agent:MaxReconnectDelay"] = "00:00:05",
            ["Logging:LogLevel:Default"] = "Information",
            ["Logging:LogLevel:Microsoft"] = "Warning",
            ["Logging:LogLevel:System"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }
        builder.Configuration.AddInMemoryCollection(values);
        builder.Logging.AddProvider(Logs);
        builder.Services.AddConOpsAgent(builder.Configuration);
        _host = builder.Build();
    }

    public string DataDirectory { get; }

    /// <summary>What the agent logged (Information and up), for failure messages.</summary>
    public CapturedLogs Logs { get; } = new();

    public Reconciler Reconciler => _host.Services.GetRequiredService<Reconciler>();

    public ServiceStatusBook Statuses => _host.Services.GetRequiredService<ServiceStatusBook>();

    public DesiredStateStore Desired => _host.Services.GetRequiredService<DesiredStateStore>();

    /// <summary>What the agent queued for the console, in order: the stream's content (read it only while no console connection runs).</summary>
    public ConOps.Agent.Connection.AgentOutbox Outbox => _host.Services.GetRequiredService<ConOps.Agent.Connection.AgentOutbox>();

    /// <summary>Starts the whole agent: reconcile loop, engine events, periodic pass, console connection attempts.</summary>
    public async Task StartAsync()
    {
        _started = true;
        await _host.StartAsync();
    }

    /// <summary>Hands the agent a new desired-state generation, as the console would.</summary>
    public void Deploy(params AppDesiredState[] apps)
    {
        var state = new DesiredState { Generation = Interlocked.Increment(ref _generation) };
        state.Apps.AddRange(apps);
        Desired.TryReplace(state);
        Reconciler.Enqueue("");
    }

    public Task<ReconcilePlan?> ReconcileAsync(string app, bool force = false) =>
        Reconciler.ReconcileNowAsync(app, force, CancellationToken.None);

    public ServiceStatus? Status(string app, string service) =>
        Statuses.Snapshot().Services.FirstOrDefault(s => s.App == app && s.Service == service);

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _host.StopAsync(timeout.Token);
        }
        _host.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Builds desired state the way the console sends it: specs with their config hash.</summary>
public static class DesiredApps
{
    public static string UniqueName(string prefix) => $"{prefix}{Guid.NewGuid().ToString("N")[..6]}";

    public static AppDesiredState App(string name, bool selfHeal = true, bool prune = true, params ServiceSpec[] services)
    {
        var app = new AppDesiredState { App = name, Revision = "main@sha1:" + new string('a', 40), Policy = new SyncPolicy { SelfHeal = selfHeal, Prune = prune } };
        app.Services.AddRange(services.Select(Desired));
        return app;
    }

    public static DesiredService Desired(ServiceSpec spec) => new() { Spec = spec, ConfigHash = ConfigHash.Compute(spec) };

    /// <summary>A web server that stops promptly on SIGTERM-less busybox: httpd as PID 1 with a short grace.</summary>
    public static ServiceSpec Web(string name, string image = "conops-test/web:1") => new()
    {
        Name = name,
        Image = image,
        Restart = "no",
        StopGracePeriod = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)),
    };

    /// <summary>Replaces one service's spec (and hash) in an app, as a new commit would.</summary>
    public static AppDesiredState With(AppDesiredState app, ServiceSpec spec)
    {
        var next = app.Clone();
        var index = next.Services.ToList().FindIndex(s => s.Spec.Name == spec.Name);
        if (index < 0)
        {
            next.Services.Add(Desired(spec));
        }
        else
        {
            next.Services[index] = Desired(spec);
        }
        return next;
    }
}
