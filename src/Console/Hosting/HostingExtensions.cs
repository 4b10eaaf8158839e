using System.Net;
using ConOps.Agent;
using ConOps.Console.Fleet;
using Microsoft.Extensions.Options;

namespace ConOps.Console.Hosting;

public static class HostingExtensions
{
    /// <summary>
    /// Binds and validates the console's options, logs the effective (secret-free) settings at start, and
    /// opens two listeners: HTTP/1.1 for the UI and API (Blazor needs WebSockets), HTTP/2 for agents.
    /// </summary>
    public static WebApplicationBuilder AddConsoleHosting(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConsoleOptions>()
            .BindConfiguration(ConsoleOptions.Section)
            .Validate(o => Uri.TryCreate(o.UiUrl, UriKind.Absolute, out _), "ConOps:Console:UiUrl must be an absolute http URL")
            .Validate(o => Uri.TryCreate(o.AgentUrl, UriKind.Absolute, out _), "ConOps:Console:AgentUrl must be an absolute http URL")
            .Validate(o => o.PollInterval >= TimeSpan.FromSeconds(1), "ConOps:Console:PollInterval must be at least 1 second")
            .ValidateOnStart();
        builder.Services.TryAddSingletonTimeProvider();

        // Serve package assets (MudBlazor, the Blazor script) when running from build output in any
        // environment, not only Development; published output carries them itself.
        builder.WebHost.UseStaticWebAssets();

        var options = builder.Configuration.GetSection(ConsoleOptions.Section).Get<ConsoleOptions>() ?? new ConsoleOptions();
        var ui = new Uri(options.UiUrl);
        // The agent port: TLS with the console's own (or the operator's) certificate unless plain http is explicitly allowed.
        var agents = AgentListener.Create(builder.Configuration, options.AgentUrl, options.DataDirectory);
        builder.Services.AddSingleton(agents);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            Listen(kestrel, ui, listen => listen.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1);
            Listen(kestrel, agents.Url, agents.Configure);
        });
        return builder;
    }

    /// <summary>All-in-one mode: an agent for the local engine inside the console process, dialing the agent port.</summary>
    public static IServiceCollection AddLocalAgent(this IServiceCollection services, IConfiguration configuration)
    {
        const string section = "ConOps:LocalAgent";
        if (!configuration.GetValue<bool>($"{section}:Enabled"))
        {
            return services;
        }
        // Registered before the agent so its credential exists before the agent's connection starts.
        services.AddHostedService<LocalAgentEnrollment>();
        services.AddConOpsAgent(configuration, section);
        services.AddOptions<AgentOptions>().PostConfigure<AgentListener>((agent, listener) =>
        {
            var console = configuration.GetSection(ConsoleOptions.Section).Get<ConsoleOptions>() ?? new ConsoleOptions();
            if (string.IsNullOrEmpty(configuration[$"{section}:ConsoleUrl"]))
            {
                agent.ConsoleUrl = listener.LoopbackUrl;
            }
            // Loopback TLS, pinned to the console's own certificate: the same path a remote agent takes.
            agent.CertificateFingerprint = listener.Certificate?.Fingerprint ?? "";
            if (string.IsNullOrEmpty(configuration[$"{section}:HostName"]))
            {
                agent.HostName = "local";
            }
            if (string.IsNullOrEmpty(configuration[$"{section}:DataDirectory"]))
            {
                agent.DataDirectory = Path.Combine(console.DataDirectory, "local-agent");
            }
        });
        return services;
    }

    /// <summary>One line with the effective settings, so a support question starts from facts.</summary>
    public static void LogEffectiveSettings(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<ConsoleOptions>>().Value;
        var agent = app.Services.GetService<IOptions<AgentOptions>>()?.Value;
        app.Logger.LogInformation(
            "ConOps console: UI {UiUrl}, agents {AgentUrl} ({AgentTls}), data {DataDirectory}, poll every {PollInterval}, local agent {LocalAgent}",
            options.UiUrl, options.AgentUrl, app.Services.GetRequiredService<AgentListener>().Certificate is { } certificate ? $"TLS, certificate {certificate.Source}, SHA-256 {certificate.Fingerprint}" : "plain http, explicitly allowed",
            Path.GetFullPath(options.DataDirectory), options.PollInterval,
            agent is null ? "off" : $"host '{agent.HostName}' on {agent.DockerEndpoint}");
    }

    private static void TryAddSingletonTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(s => s.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }

    private static void Listen(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions kestrel, Uri url, Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions> configure)
    {
        if (url.Host is "localhost")
        {
            kestrel.ListenLocalhost(url.Port, configure);
        }
        else if (url.Host is "0.0.0.0" or "*" or "+")
        {
            kestrel.ListenAnyIP(url.Port, configure);
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(url.Host.Trim('[', ']')), url.Port, configure);
        }
    }
}
