using ConOps.Console.History;
using ConOps.Console.Sync;
using Microsoft.EntityFrameworkCore;

namespace ConOps.Console.Apps;

/// <summary>Creates and updates apps and asks the syncer to pick them up.</summary>
public sealed class AppCatalog(IDbContextFactory<ConOpsDb> dbs, AppSyncer syncer, TimeProvider time)
{
    public async Task<AppRecord> UpsertAsync(AppDefinition definition, string source, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var app = await db.Apps.FindAsync([definition.Name], ct);
        var isNew = app is null;
        if (app is null)
        {
            app = new AppRecord { Name = definition.Name, RepoUrl = definition.RepoUrl, CreatedAt = time.GetUtcNow() };
            db.Apps.Add(app);
        }
        var sourceChanged = app.RepoUrl != definition.RepoUrl || app.Branch != definition.Branch || app.Path != definition.Path;
        app.RepoUrl = definition.RepoUrl;
        app.Branch = definition.Branch;
        app.Path = definition.Path;
        app.Hosts = [.. definition.Hosts.Distinct(StringComparer.Ordinal)];
        app.Source = source;
        await db.SaveChangesAsync(ct);
        syncer.Enqueue(app.Name, force: sourceChanged || isNew);
        return app;
    }

    public async Task<List<AppRecord>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Apps.AsNoTracking().OrderBy(a => a.Name).ToListAsync(ct);
    }
}

/// <summary>Loads the apps declared in configuration when the console starts.</summary>
public sealed class ConfiguredApps(IConfiguration configuration, AppCatalog catalog, ILogger<ConfiguredApps> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var declared = configuration.GetSection("ConOps:Apps").Get<List<AppDefinition>>() ?? [];
        foreach (var app in declared)
        {
            var errors = app.Validate();
            if (errors.Count > 0)
            {
                log.LogError("App {App} in configuration is invalid and was skipped: {Errors}", app.Name, string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")));
                continue;
            }
            await catalog.UpsertAsync(app, "config", cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
