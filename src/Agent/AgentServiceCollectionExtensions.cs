using ConOps.Agent.Connection;
using ConOps.Agent.Docker;
using ConOps.Agent.Reconcile;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ConOps.Agent;

public static class AgentServiceCollectionExtensions
{
    /// <summary>
    /// Everything the agent is: the engine client, the reconcile loop, the engine event watcher and the
    /// console connection. Used by the agent's own Program and by the console's all-in-one mode.
    /// </summary>
    public static IServiceCollection AddConOpsAgent(this IServiceCollection services, IConfiguration configuration, string section = AgentOptions.Section)
    {
        services.AddOptions<AgentOptions>()
            .Bind(configuration.GetSection(section))
            .Validate(o => Uri.TryCreate(o.ConsoleUrl, UriKind.Absolute, out _), "ConOps:Agent:ConsoleUrl must be an absolute URL such as https://console.lan:8081")
            .Validate(o => !string.IsNullOrWhiteSpace(o.HostName), "ConOps:Agent:HostName must not be empty")
            .Validate(o => Uri.TryCreate(o.DockerEndpoint, UriKind.Absolute, out var engine) && engine.Scheme is "unix" or "tcp" or "http", "ConOps:Agent:DockerEndpoint must be unix:///path/to/docker.sock or tcp://host:port")
            .Validate(o => !string.IsNullOrWhiteSpace(o.DataDirectory), "ConOps:Agent:DataDirectory must not be empty")
            .Validate(o => o.ReconcileInterval >= TimeSpan.FromSeconds(1), "ConOps:Agent:ReconcileInterval must be at least 1 second")
            .Validate(o => o.StabilizationWindow >= TimeSpan.Zero && o.HealthyTimeout > TimeSpan.Zero && o.DependencyTimeout > TimeSpan.Zero, "ConOps:Agent:StabilizationWindow, HealthyTimeout and DependencyTimeout must be positive")
            .Validate(o => o.FlapFreeRestarts >= 1 && o.FlapBaseDelay > TimeSpan.Zero && o.FlapMaxDelay >= o.FlapBaseDelay && o.FlapWindow > TimeSpan.Zero, "ConOps:Agent:Flap* settings must be positive, with FlapMaxDelay >= FlapBaseDelay")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new EngineClient(sp.GetRequiredService<IOptions<AgentOptions>>().Value.DockerEndpoint));
        services.AddSingleton<AgentIdentity>();
        services.AddSingleton<AgentOutbox>();
        services.AddSingleton<Logs.LogStreams>();
        services.AddSingleton<DesiredStateStore>();
        services.AddSingleton<ServiceStatusBook>();
        services.AddSingleton<InspectCache>();
        services.AddSingleton<FileStore>();
        services.AddSingleton<ProjectFolder>();
        services.AddSingleton<ImagePuller>();
        services.AddSingleton<AppResources>();
        services.AddSingleton<Reconciler>();
        services.AddHostedService(sp => sp.GetRequiredService<Reconciler>());
        services.AddHostedService<EngineEventWatcher>();
        services.AddHostedService<ConsoleConnection>();
        return services;
    }
}
