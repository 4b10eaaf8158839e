using System.Net;
using System.Text;
using Docker.DotNet;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

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
        if (!string.IsNullOrEmpty(options.HealthUrl))
        {
            services.AddHostedService<AgentHealthListener>();
        }
        if (!string.IsNullOrEmpty(options.MetricsUrl))
        {
            var metricsUrl = new Uri(options.MetricsUrl);
            services.AddOpenTelemetry().WithMetrics(metrics => metrics
                .AddMeter(AgentMetrics.MeterName)
                .AddPrometheusHttpListener(listener =>
                {
                    listener.Host = metricsUrl.Host == "0.0.0.0" ? "+" : metricsUrl.Host;
                    listener.Port = metricsUrl.Port;
                }));
        }
        return services;
    }

    private static bool IsListenUrl(string url) =>
        string.IsNullOrEmpty(url) || (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp);

    /// <summary>HttpListener wants "http://host:port/"; 0.0.0.0 means every address ("+").</summary>
    internal static string Prefix(string url)
    {
        var prefix = url.Replace("://0.0.0.0", "://+", StringComparison.Ordinal);
        return prefix.EndsWith('/') ? prefix : prefix + "/";
    }
}

/// <summary>
/// <c>/healthz</c>: the process answers. <c>/readyz</c>: the engine answers a ping and the stream to the
/// console is open; 503 with the reason otherwise.
/// </summary>
public sealed partial class AgentHealthListener(IOptions<AgentObservabilityOptions> options, IDockerClient docker, ILogger<AgentHealthListener> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var listener = new HttpListener();
        listener.Prefixes.Add(AgentObservabilityExtensions.Prefix(options.Value.HealthUrl));
        listener.Start();
        LogListening(options.Value.HealthUrl);
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
        var (status, body) = context.Request.Url?.AbsolutePath.TrimEnd('/') switch
        {
            "/healthz" => (200, "ok"),
            "/readyz" => await ReadinessAsync(ct),
            _ => (404, "not found"),
        };
        var bytes = Encoding.UTF8.GetBytes(body + "\n");
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
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

    private async Task<(int Status, string Body)> ReadinessAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        string engine;
        try
        {
            await docker.System.PingAsync(timeout.Token);
            engine = "engine: reachable";
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            engine = $"engine: unreachable ({ex.Message})";
        }
        var console = AgentMetrics.IsConsoleConnected ? "console: connected" : "console: not connected";
        var ready = engine == "engine: reachable" && AgentMetrics.IsConsoleConnected;
        return (ready ? 200 : 503, $"{(ready ? "ready" : "not ready")}\n{engine}\n{console}");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Health endpoints on {Url} (/healthz, /readyz)")]
    private partial void LogListening(string url);
}
