using System.Text.Json;
using ConOps.Console.History;
using ConOps.Console.Registry;
using ConOps.Console.Sync;
using Microsoft.EntityFrameworkCore;

namespace ConOps.Console.Apps;

/// <summary>Which of an app's secrets are set (never their values); the Git user name is not a secret.</summary>
public sealed record AppSecretSummary(string? GitUsername, bool GitPasswordSet, bool GitTokenSet, bool SshKeySet, bool SshKnownHostsSet, IReadOnlyList<string> RegistryPasswordsSet);

/// <summary>An app as stored: its record, its definition with secrets restored, and its secrets.</summary>
public sealed record StoredApp(AppRecord Record, AppDefinition Definition);

/// <summary>Creates, updates and deletes apps and host labels, keeps secrets encrypted, and asks the syncer to pick changes up.</summary>
public sealed class AppCatalog(IDbContextFactory<ConOpsDb> dbs, AppSyncer syncer, SecretBox secrets, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Creates or replaces an app. Secrets left out (null) keep their stored values, so a client can edit an app
    /// without knowing its passwords; an empty string clears one.
    /// </summary>
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

        var stored = secrets.Unprotect(app.ProtectedSecrets);
        var merged = new AppSecrets { Git = MergeGit(stored.Git, definition.Git) };
        foreach (var login in definition.Registries)
        {
            var server = ImageReference.NormalizeServer(login.Server);
            var password = login.Password ?? stored.RegistryPasswords.GetValueOrDefault(server);
            if (!string.IsNullOrEmpty(password))
            {
                merged.RegistryPasswords[server] = password;
            }
        }

        var publicPart = WithoutSecrets(definition);
        var definitionJson = JsonSerializer.Serialize(publicPart, Json);
        var protectedSecrets = secrets.Protect(merged);
        var changed = isNew || app.Definition != definitionJson || !SameSecrets(stored, merged);

        app.RepoUrl = definition.RepoUrl;
        app.Branch = definition.RefName;
        app.Path = definition.Path;
        app.Hosts = [.. definition.Hosts.Distinct(StringComparer.Ordinal)];
        app.Source = source;
        app.Definition = definitionJson;
        app.ProtectedSecrets = protectedSecrets;
        await db.SaveChangesAsync(ct);
        if (changed)
        {
            // History says where the change came from: a person (API, UI) or a declaration (configuration, fleet file).
            syncer.Enqueue(app.Name, new SyncRequest(Force: true, Trigger: source is "config" or FleetFile.Source ? source : "manual"));
        }
        return app;
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var app = await db.Apps.FindAsync([name], ct);
        if (app is null)
        {
            return false;
        }
        db.Apps.Remove(app);
        await db.SaveChangesAsync(ct);
        // The syncer removes the app from every host it ran on.
        syncer.Enqueue(name, new SyncRequest(Force: true, Trigger: "manual"));
        return true;
    }

    public async Task<List<AppRecord>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Apps.AsNoTracking().OrderBy(a => a.Name).ToListAsync(ct);
    }

    /// <summary>The app with its secrets decrypted (for the syncer only; never hand this to an API answer).</summary>
    public async Task<StoredApp?> LoadAsync(string name, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var app = await db.Apps.AsNoTracking().FirstOrDefaultAsync(a => a.Name == name, ct);
        return app is null ? null : new StoredApp(app, Restore(app));
    }

    /// <summary>The definition with secrets restored from their encrypted form.</summary>
    public AppDefinition Restore(AppRecord app) => Restore(app, secrets);

    /// <summary>The definition with secrets restored from their encrypted form.</summary>
    public static AppDefinition Restore(AppRecord app, SecretBox secrets)
    {
        var definition = PublicDefinition(app);
        var stored = secrets.Unprotect(app.ProtectedSecrets);
        definition.Git = stored.Git;
        foreach (var login in definition.Registries)
        {
            login.Password = stored.RegistryPasswords.GetValueOrDefault(ImageReference.NormalizeServer(login.Server));
        }
        return definition;
    }

    /// <summary>The definition without any secret (safe for API answers).</summary>
    public static AppDefinition PublicDefinition(AppRecord app) =>
        app.Definition is { Length: > 0 } json
            ? JsonSerializer.Deserialize<AppDefinition>(json, Json) ?? new AppDefinition()
            // Apps stored before definitions existed had only these columns.
            : new AppDefinition { Name = app.Name, RepoUrl = app.RepoUrl, Branch = app.Branch, Path = app.Path, Hosts = [.. app.Hosts] };

    /// <summary>Which secrets are set, without their values.</summary>
    public AppSecretSummary SecretSummary(AppRecord app)
    {
        var stored = secrets.Unprotect(app.ProtectedSecrets);
        return new AppSecretSummary(
            stored.Git?.Username,
            !string.IsNullOrEmpty(stored.Git?.Password),
            !string.IsNullOrEmpty(stored.Git?.Token),
            !string.IsNullOrEmpty(stored.Git?.SshPrivateKey),
            !string.IsNullOrEmpty(stored.Git?.SshKnownHosts),
            [.. stored.RegistryPasswords.Keys.Order(StringComparer.Ordinal)]);
    }

    /// <summary>Sets a host's labels (apps select hosts by them); apps re-evaluate their targets.</summary>
    public async Task SetHostLabelsAsync(string host, Dictionary<string, string> labels, string source, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var record = await db.Hosts.FindAsync([host], ct);
        if (record is null)
        {
            record = new HostRecord { Name = host };
            db.Hosts.Add(record);
        }
        record.Labels = new Dictionary<string, string>(labels, StringComparer.Ordinal);
        record.Source = source;
        await db.SaveChangesAsync(ct);
        syncer.EnqueueAll(new SyncRequest(Force: true, Trigger: "manual"));
    }

    private static AppDefinition WithoutSecrets(AppDefinition definition)
    {
        var copy = JsonSerializer.Deserialize<AppDefinition>(JsonSerializer.Serialize(definition, Json), Json)!;
        copy.Git = null;
        foreach (var login in copy.Registries)
        {
            login.Server = ImageReference.NormalizeServer(login.Server);
            login.Password = null;
        }
        return copy;
    }

    private static GitAuth? MergeGit(GitAuth? stored, GitAuth? given)
    {
        if (given is null)
        {
            return stored;
        }
        static string? Pick(string? g, string? s) => g is null ? s : g.Length == 0 ? null : g;
        var merged = new GitAuth
        {
            Username = Pick(given.Username, stored?.Username),
            Password = Pick(given.Password, stored?.Password),
            Token = Pick(given.Token, stored?.Token),
            SshPrivateKey = Pick(given.SshPrivateKey, stored?.SshPrivateKey),
            SshKnownHosts = Pick(given.SshKnownHosts, stored?.SshKnownHosts),
        };
        return merged is { Username: null, Password: null, Token: null, SshPrivateKey: null, SshKnownHosts: null } ? null : merged;
    }

    private static bool SameSecrets(AppSecrets a, AppSecrets b) =>
        JsonSerializer.Serialize(a) == JsonSerializer.Serialize(b);
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
