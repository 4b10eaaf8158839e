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

    /// <summary>
    /// Null when the agent can write its data directory, else what to do about it. A bind-mounted folder the
    /// engine created on the agent's behalf belongs to root; without this check the agent would stop with a
    /// stack trace from whichever store touched the folder first.
    /// </summary>
    public static string? DataDirectoryProblem(IConfiguration configuration)
    {
        var path = configuration["ConOps:Agent:DataDirectory"] is { Length: > 0 } configured ? configured : new AgentOptions().DataDirectory;
        try
        {
            Directory.CreateDirectory(path);
            var probe = Path.Combine(path, ".write-test");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return null;
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            var uid = ConOps.Shared.ProcessUser.EffectiveUid;
            return uid is null
                ? $"The agent cannot write its data directory {path} ({ex.Message}). Give the agent's user a folder it owns there, or set ConOps:Agent:DataDirectory."
                : $"The agent (uid {uid}) cannot write its data directory {path} ({ex.Message}). Create it for the agent: sudo install -d -o {uid} -g {uid} -m 0700 {path}";
        }
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
