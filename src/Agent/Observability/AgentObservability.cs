using System.Net;
using System.Text;
using ConOps.Agent.Docker;
using Microsoft.Extensions.Options;

namespace ConOps.Agent.Observability;

/// <summary>The agent's optional listeners, bound from <c>ConOps:Agent</c>. Both are off unless set.</summary>
public sealed class AgentObservabilityOptions
{
    /// <summary>Where <c>/healthz</c> and <c>/readyz</c> answer, e.g. <c>http://127.0.0.1:9101/</c>. Empty: off.</summary>
    public string HealthUrl { get; set; } = "";

    /// <summary>Where Prometheus scrapes <c>/metrics</c>, e.g. <c>http://127.0.0.1:9102/</c>. Empty: off.</summary>
    public string MetricsUrl { get; set; } = "";
}

public static class AgentObservabilityExtensions
{
    /// <summary>The standalone agent's health and metrics listeners (all-in-one mode uses the console's).</summary>
    public static IServiceCollection AddAgentObservability(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(AgentOptions.Section);
        services.AddOptions<AgentObservabilityOptions>()
            .Bind(section)
            .Validate(o => IsListenUrl(o.HealthUrl), "ConOps:Agent:HealthUrl must be empty or an http URL such as http://127.0.0.1:9101/")
            .Validate(o => IsListenUrl(o.MetricsUrl), "ConOps:Agent:MetricsUrl must be empty or an http URL such as http://127.0.0.1:9102/")
            .ValidateOnStart();
        var options = section.Get<AgentObservabilityOptions>() ?? new AgentObservabilityOptions();
        var health = Prefix(options.HealthUrl);
        var metrics = Prefix(options.MetricsUrl);
        if (metrics.Length > 0)
        {
            services.AddSingleton(sp => new PrometheusText(AgentMetrics.MeterName,
            [
                new("service.name", "conops-agent"),
                new("service.version", Connection.AgentIdentity.Version),
                new("service.instance.id", sp.GetRequiredService<Connection.AgentIdentity>().Id),
                new("host.name", sp.GetRequiredService<IOptions<AgentOptions>>().Value.HostName),
            ]));
        }
        // One listener per address: health and metrics may share one.
        foreach (var prefix in new[] { health, metrics }.Where(p => p.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var servesHealth = string.Equals(prefix, health, StringComparison.OrdinalIgnoreCase);
            var servesMetrics = string.Equals(prefix, metrics, StringComparison.OrdinalIgnoreCase);
            services.AddSingleton<IHostedService>(sp => new AgentHttpListener(
                prefix,
                servesHealth ? sp.GetRequiredService<EngineClient>() : null,
                servesMetrics ? sp.GetRequiredService<PrometheusText>() : null,
                sp.GetRequiredService<ILogger<AgentHttpListener>>()));
        }
        return services;
    }

    private static bool IsListenUrl(string url) =>
        string.IsNullOrEmpty(url) || (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp);

    /// <summary>HttpListener wants "http://host:port/"; 0.0.0.0 means every address ("+"). Empty stays empty (off).</summary>
    internal static string Prefix(string url)
    {
        if (string.IsNullOrEmpty(url))
        {
            return "";
        }
        var prefix = url.Replace("://0.0.0.0", "://+", StringComparison.Ordinal);
        return prefix.EndsWith('/') ? prefix : prefix + "/";
    }
}

/// <summary>
/// One of the agent's small HTTP listeners. Health (when <paramref name="engine"/> is given):
/// <c>/healthz</c> the process answers, <c>/readyz</c> the engine answers a ping and the stream to the
/// console is open (503 with the reason otherwise). Metrics (when <paramref name="metrics"/> is given):
/// <c>/metrics</c> in Prometheus text format.
/// </summary>
public sealed partial class AgentHttpListener(string prefix, EngineClient? engine, PrometheusText? metrics, ILogger<AgentHttpListener> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var listener = new HttpListener();
        listener.Prefixes.Add(prefix);
        listener.Start();
        LogListening(prefix, string.Join(", ", new[] { engine is null ? null : "/healthz, /readyz", metrics is null ? null : "/metrics" }.OfType<string>()));
        using var stop = stoppingToken.Register(listener.Stop);
        while (!stoppingToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException && stoppingToken.IsCancellationRequested)
            {
                return;
            }
            _ = AnswerAsync(context, stoppingToken);
        }
    }

    private async Task AnswerAsync(HttpListenerContext context, CancellationToken ct)
    {
        var (status, body, type) = context.Request.Url?.AbsolutePath.TrimEnd('/') switch
        {
            "/healthz" when engine is not null => (200, "ok\n", "text/plain; charset=utf-8"),
            "/readyz" when engine is not null => await ReadinessAsync(engine, ct),
            "/metrics" when metrics is not null => (200, metrics.Write(), PrometheusText.ContentType),
            _ => (404, "not found\n", "text/plain; charset=utf-8"),
        };
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.StatusCode = status;
        context.Response.ContentType = type;
        context.Response.ContentLength64 = bytes.Length;
        try
        {
            await context.Response.OutputStream.WriteAsync(bytes, ct);
        }
        catch (Exception ex) when (ex is HttpListenerException or IOException or OperationCanceledException)
        {
            // The prober went away; nothing to tell it.
        }
        finally
        {
            context.Response.Close();
        }
    }

    private static async Task<(int Status, string Body, string Type)> ReadinessAsync(EngineClient engine, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        string reachable;
        try
        {
            await engine.PingAsync(timeout.Token);
            reachable = "engine: reachable";
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            reachable = $"engine: unreachable ({ex.Message})";
        }
        var console = AgentMetrics.IsConsoleConnected ? "console: connected" : "console: not connected";
        var ready = reachable == "engine: reachable" && AgentMetrics.IsConsoleConnected;
        return (ready ? 200 : 503, $"{(ready ? "ready" : "not ready")}\n{reachable}\n{console}\n", "text/plain; charset=utf-8");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening on {Url} ({Paths})")]
    private partial void LogListening(string url, string paths);
}
