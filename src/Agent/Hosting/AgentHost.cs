using ConOps.Agent.Observability;

namespace ConOps.Agent.Hosting;

/// <summary>
/// The standalone agent's host. <c>Host.CreateApplicationBuilder</c> brings user secrets, a file watcher for
/// reloading appsettings.json, and the Debug and EventSource loggers; a service configured by its
/// environment uses none of them, and in a Native AOT binary each costs code, type data and threads. This
/// builder keeps what the agent is configured with: an optional appsettings.json in the working
/// directory (as before), environment variables (<c>ConOps__Agent__*</c>, <c>Logging__*</c>) and the command line,
/// and console logging configured from <c>Logging</c> (levels, <c>Logging:Console:FormatterName=json</c>).
/// </summary>
public static class AgentHost
{
    public static HostApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = Directory.GetCurrentDirectory() });
        builder.Configuration
            .AddJsonFile("appsettings.json", optional: true, reloadOnChange: false)
            .AddEnvironmentVariables()
            .AddCommandLine(args);
        builder.Logging
            .AddConfiguration(builder.Configuration.GetSection("Logging"))
            .AddConsole();
        builder.Services.AddHostedService<StartupCompaction>();
        return builder;
    }
}

/// <summary>
/// Starting (configuration, dependency injection, TLS, enrollment) leaves several MB of garbage that an idle
/// agent would keep for hours, as nothing allocates enough to trigger a collection. Once the first stream
/// to the console is open, one compacting collection returns it to the operating system. Measured in
/// docs/bench/footprint.md.
/// </summary>
public sealed class StartupCompaction(IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }
        // Connected, or a minute later at the latest (an agent that cannot reach its console stays small too).
        try
        {
            await AgentMetrics.FirstConnection.WaitAsync(TimeSpan.FromMinutes(1), stoppingToken);
        }
        catch (TimeoutException)
        {
        }
        await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}
