namespace ConOps.Console.Fleet;

public static class FleetExtensions
{
    public static IServiceCollection AddFleet(this IServiceCollection services)
    {
        services.AddGrpc(o => o.MaxReceiveMessageSize = 16 * 1024 * 1024);
        services.AddSingleton<FleetState>();
        services.AddSingleton<AgentSessions>();
        services.AddSingleton<DesiredStatePublisher>();
        return services;
    }

    /// <summary>The agent endpoint, reachable only on the agent port.</summary>
    public static IEndpointRouteBuilder MapFleet(this IEndpointRouteBuilder endpoints, int agentPort)
    {
        endpoints.MapGrpcService<AgentHubService>().RequireHost($"*:{agentPort}");
        return endpoints;
    }
}
