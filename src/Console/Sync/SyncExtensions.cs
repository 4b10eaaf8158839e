using ConOps.Console.Apps;
using ConOps.Console.Git;
using ConOps.Console.Registry;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;

namespace ConOps.Console.Sync;

public static class SyncExtensions
{
    /// <summary>Apps, their Git sources, registry digests, secrets at rest, and the loops that turn them into desired state.</summary>
    public static IServiceCollection AddGitSync(this IServiceCollection services)
    {
        services.AddOptions<SourcesOptions>()
            .BindConfiguration(SourcesOptions.Section)
            .Validate(o => o.MaxConcurrentPolls is >= 1 and <= 64, "ConOps:Sources:MaxConcurrentPolls must be 1-64")
            .Validate(o => o.DigestCheckInterval >= TimeSpan.FromSeconds(1), "ConOps:Sources:DigestCheckInterval must be at least 1 second")
            .Validate(o => o.RegistryTimeout >= TimeSpan.FromSeconds(1), "ConOps:Sources:RegistryTimeout must be at least 1 second")
            .Validate(o => o.MinRetryDelay > TimeSpan.Zero && o.MaxRetryDelay >= o.MinRetryDelay, "ConOps:Sources:MinRetryDelay must be positive and at most MaxRetryDelay")
            .Validate(o => o.KeepReleasesPerAppHost >= 1, "ConOps:Sources:KeepReleasesPerAppHost must be at least 1")
            .ValidateOnStart();

        // Secrets at rest: keys live in the data directory next to the database they protect.
        services.AddDataProtection().SetApplicationName("conops");
        services.AddOptions<KeyManagementOptions>().Configure<IOptions<ConsoleOptions>, ILoggerFactory>((keys, console, logs) =>
            keys.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(Path.Combine(Path.GetFullPath(console.Value.DataDirectory), "keys")), logs));
        services.AddSingleton<SecretBox>();

        services.AddSingleton(sp => new RegistryClient(
            new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = true, MaxAutomaticRedirections = 5 })
            {
                Timeout = sp.GetRequiredService<IOptions<SourcesOptions>>().Value.RegistryTimeout,
                MaxResponseContentBufferSize = 4 * 1024 * 1024,
            },
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<DigestResolver>();

        services.AddSingleton<SshCommands>();
        services.AddSingleton<GitRepositories>();
        services.AddSingleton<SourceStatus>();
        services.AddSingleton<HostDesiredStates>();
        services.AddSingleton<AppStateFeed>();
        services.AddSingleton<Webhooks.WebhookSecret>();
        services.AddSingleton<AppSyncer>();
        services.AddHostedService(sp => sp.GetRequiredService<AppSyncer>());
        services.AddSingleton<AppCatalog>();
        services.AddHostedService<ConfiguredApps>();
        services.AddSingleton<FleetFile>();
        services.AddHostedService(sp => sp.GetRequiredService<FleetFile>());
        services.AddHostedService<GitPoller>();
        return services;
    }
}
