using ConOps.Console.Apps;
using ConOps.Console.Git;

namespace ConOps.Console.Sync;

public static class SyncExtensions
{
    /// <summary>Apps, their Git sources and the loop that turns them into desired state.</summary>
    public static IServiceCollection AddGitSync(this IServiceCollection services)
    {
        services.AddSingleton<GitRepositories>();
        services.AddSingleton<AppSyncer>();
        services.AddHostedService(sp => sp.GetRequiredService<AppSyncer>());
        services.AddSingleton<AppCatalog>();
        services.AddHostedService<ConfiguredApps>();
        return services;
    }
}
