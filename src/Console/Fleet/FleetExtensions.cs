using ConOps.Console.Logs;

namespace ConOps.Console.Fleet;

public static class FleetExtensions
{
    public static IServiceCollection AddFleet(this IServiceCollection services)
    {
        services.AddGrpc(o => o.MaxReceiveMessageSize = 16 * 1024 * 1024);
        services.AddOptions<FleetOptions>()
            .BindConfiguration(FleetOptions.Section)
            .Validate(o => o.JoinTokenLifetime > TimeSpan.Zero, "ConOps:Fleet:JoinTokenLifetime must be positive")
            .Validate(o => o.FailureLimit > 0 && o.FailureWindow > TimeSpan.Zero, "ConOps:Fleet:FailureLimit and FailureWindow must be positive")
            .Validate(o => o.LogViewerBufferLines > 0 && o.LogHistoryLines >= 0 && o.MaxLogTail > 0, "ConOps:Fleet log limits must be positive")
            .Validate(o => o.PublicAgentUrl.Length == 0 || Uri.TryCreate(o.PublicAgentUrl, UriKind.Absolute, out _), "ConOps:Fleet:PublicAgentUrl must be an absolute URL such as https://console.lan:8081")
            .ValidateOnStart();
        services.AddSingleton<FleetState>();
        services.AddSingleton<AgentSessions>();
        services.AddSingleton<DesiredStatePublisher>();
        services.AddSingleton<FailureRateLimiter>();
        services.AddSingleton<HostEnrollment>();
        services.AddSingleton<LogHub>();
        services.AddHostedService<KnownHostsLoader>();
        return services;
    }

    /// <summary>The agent endpoint, reachable only on the agent port.</summary>
    public static IEndpointRouteBuilder MapFleet(this IEndpointRouteBuilder endpoints, int agentPort)
    {
        endpoints.MapGrpcService<AgentHubService>().RequireHost($"*:{agentPort}");
        return endpoints;
    }
}
