using System.Net.Sockets;
using System.Text.Json;
using ConOps.Agent.Observability;
using ConOps.Console.Fleet;
using ConOps.Console.History;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace ConOps.Console.Observability;

public static class ObservabilityExtensions
{
    /// <summary>Health checks (database, agents listener) and Prometheus metrics of the console, its agents' stream and the in-process agent.</summary>
    public static IServiceCollection AddObservability(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: ["ready"])
            .AddCheck<AgentListenerHealthCheck>("agents-listener", tags: ["ready"]);
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("conops-console", serviceVersion: typeof(ObservabilityExtensions).Assembly.GetName().Version?.ToString(3)))
            .WithMetrics(metrics => metrics
            .AddConsoleMeters()
            .AddPrometheusExporter());
        return services;
    }

    /// <summary>
    /// The console's meter and the in-process agent's. The agent's reconcile histogram (seconds) carries no bucket
    /// advice, so a view gives it the buckets the standalone agent's own exporter uses: the same series either way.
    /// </summary>
    public static MeterProviderBuilder AddConsoleMeters(this MeterProviderBuilder metrics) => metrics
        .AddMeter(ConsoleMetrics.MeterName, AgentMetrics.MeterName)
        .AddView("conops.agent.reconcile.duration", new ExplicitBucketHistogramConfiguration { Boundaries = [.. PrometheusText.Buckets] });

    /// <summary>
    /// On the UI port: <c>/healthz</c> (the process serves requests), <c>/readyz</c> (database and agents
    /// listener, JSON with each check), <c>/metrics</c> (Prometheus text format).
    /// </summary>
    public static WebApplication MapObservability(this WebApplication app)
    {
        var fleet = app.Services.GetRequiredService<FleetState>();
        ConsoleMetrics.ObserveFleet(() => fleet.Hosts.Count(h => h.Connected), () => fleet.Hosts.Count(h => !h.Connected));
        // Probes and scrapers carry no credentials; these answers hold no secrets.
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteJsonAsync }).AllowAnonymous();
        app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        return app;
    }

    private static Task WriteJsonAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new Dictionary<string, object>
        {
            ["status"] = report.Status.ToString(),
            ["checks"] = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }
}

/// <summary>The database opens and answers a query.</summary>
public sealed class DatabaseHealthCheck(IDbContextFactory<ConOpsDb> dbs) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var db = await dbs.CreateDbContextAsync(cancellationToken);
            var hosts = await db.Hosts.CountAsync(cancellationToken);
            return HealthCheckResult.Healthy($"SQLite answers ({hosts} host(s) known)");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"SQLite does not answer: {ex.Message}");
        }
    }
}

/// <summary>The agents' gRPC port accepts connections.</summary>
public sealed class AgentListenerHealthCheck(IOptions<ConsoleOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var url = new Uri(options.Value.AgentUrl);
        var host = url.Host is "0.0.0.0" or "*" or "+" or "[::]" ? "127.0.0.1" : url.Host.Trim('[', ']');
        try
        {
            using var client = new TcpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(host, url.Port, timeout.Token);
            return HealthCheckResult.Healthy($"agents listener accepts connections on port {url.Port}");
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"agents listener on port {url.Port} does not accept connections: {ex.Message}");
        }
    }
}
