using ConOps.Console.Auth;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace ConOps.Console.History;

/// <summary>The console's SQLite database: declared apps, hosts and the release history.</summary>
public sealed class ConOpsDb(DbContextOptions<ConOpsDb> options) : DbContext(options)
{
    public DbSet<AppRecord> Apps => Set<AppRecord>();

    public DbSet<HostRecord> Hosts => Set<HostRecord>();

    public DbSet<ReleaseRecord> Releases => Set<ReleaseRecord>();

    public DbSet<UserRecord> Users => Set<UserRecord>();

    public DbSet<ApiTokenRecord> ApiTokens => Set<ApiTokenRecord>();

    public DbSet<AuditRecord> AuditEntries => Set<AuditRecord>();

    public DbSet<HostCredentialRecord> HostCredentials => Set<HostCredentialRecord>();

    public DbSet<JoinTokenRecord> JoinTokens => Set<JoinTokenRecord>();

    public DbSet<Sync.AppHostStateRecord> AppHostStates => Set<Sync.AppHostStateRecord>();

    public DbSet<Notifications.NotificationTargetRecord> NotificationTargets => Set<Notifications.NotificationTargetRecord>();

    public DbSet<Notifications.NotificationRuleRecord> NotificationRules => Set<Notifications.NotificationRuleRecord>();

    public DbSet<Notifications.IncidentRecord> Incidents => Set<Notifications.IncidentRecord>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite cannot order by DateTimeOffset text; store UTC ticks instead.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<AppRecord>(app =>
        {
            app.HasKey(a => a.Name);
            app.Property(a => a.Hosts);
        });
        modelBuilder.Entity<HostRecord>(host =>
        {
            host.HasKey(h => h.Name);
            host.Property(h => h.Labels).HasConversion(Sync.JsonColumn.Converter<Dictionary<string, string>>(), Sync.JsonColumn.Comparer<Dictionary<string, string>>());
        });
        modelBuilder.Entity<Sync.AppHostStateRecord>().HasKey(s => new { s.App, s.Host });
        modelBuilder.Entity<ReleaseRecord>(release =>
        {
            release.HasIndex(r => new { r.App, r.Host, r.Generation });
            release.HasIndex(r => r.CreatedAt);
            release.OwnsMany(r => r.Services, s => s.ToJson());
        });
        AuthModel.Configure(modelBuilder);
        modelBuilder.Entity<HostCredentialRecord>(credential =>
        {
            credential.HasIndex(c => c.Hash).IsUnique();
            credential.HasIndex(c => c.Host);
        });
        modelBuilder.Entity<JoinTokenRecord>(token =>
        {
            token.HasKey(t => t.Hash);
            token.HasIndex(t => t.Host);
        });
        Notifications.NotificationModel.Configure(modelBuilder);
    }
}

/// <summary>An app: which compose project in which repository runs on which hosts.</summary>
public sealed class AppRecord
{
    public required string Name { get; set; }

    public required string RepoUrl { get; set; }

    public string Branch { get; set; } = "main";

    /// <summary>Folder inside the repository holding compose.yaml.</summary>
    public string Path { get; set; } = ".";

    public List<string> Hosts { get; set; } = [];

    /// <summary>"config" when declared in the console's configuration, "api" when created at run time.</summary>
    public string Source { get; set; } = "api";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Commit the last good state came from.</summary>
    public string? LastGoodCommit { get; set; }

    /// <summary>The full app definition as JSON, without its secrets (see <see cref="ProtectedSecrets"/>).</summary>
    public string? Definition { get; set; }

    /// <summary>Git and registry secrets, encrypted with ASP.NET Core Data Protection (keys in the data directory).</summary>
    public string? ProtectedSecrets { get; set; }
}

/// <summary>A host, remembered across restarts so desired-state generations only ever grow.</summary>
public sealed class HostRecord
{
    public required string Name { get; set; }

    public long Generation { get; set; }

    /// <summary>The desired state last assembled for the host (protobuf bytes), to detect real changes.</summary>
    public byte[]? DesiredState { get; set; }

    /// <summary>Labels apps select hosts by (hostSelector), e.g. role=web.</summary>
    public Dictionary<string, string> Labels { get; set; } = [];

    /// <summary>"fleet-file" when declared in the fleet file, "api" when labelled through the API, "" when only seen.</summary>
    public string Source { get; set; } = "";
}

/// <summary>One deployment of one app to one host.</summary>
public sealed class ReleaseRecord
{
    public long Id { get; set; }

    public required string App { get; set; }

    public required string Host { get; set; }

    public long Generation { get; set; }

    /// <summary><c>&lt;branch&gt;@sha1:&lt;commit&gt;</c>.</summary>
    public required string Revision { get; set; }

    public string CommitMessage { get; set; } = "";

    public string CommitAuthor { get; set; } = "";

    /// <summary>poll, webhook, manual, rollback, self-heal, sync.</summary>
    public string Trigger { get; set; } = "";

    /// <summary>pending, succeeded, failed, no-change.</summary>
    public string Outcome { get; set; } = "pending";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public List<ServiceOutcomeRecord> Services { get; set; } = [];

    /// <summary>The normalized desired state deployed (JSON of AppDesiredState, pinned digests included, no credentials): what a rollback redeploys.</summary>
    public string? Model { get; set; }

    /// <summary>Who asked for it (API/UI user), empty for automatic releases.</summary>
    public string User { get; set; } = "";
}

/// <summary>What happened to one service in a release.</summary>
public sealed class ServiceOutcomeRecord
{
    public required string Service { get; set; }

    public string ConfigHash { get; set; } = "";

    /// <summary>unchanged, created, recreated, started, removed, failed.</summary>
    public string Action { get; set; } = "";

    public string? Error { get; set; }

    /// <summary>Image reference as written in the compose file.</summary>
    public string Image { get; set; } = "";

    /// <summary>The digest the image was pinned to, when known.</summary>
    public string ImageDigest { get; set; } = "";
}

/// <summary>A host's agent credential (fleet enrollment). Only the SHA-256 hash of the secret is kept.</summary>
public sealed class HostCredentialRecord
{
    public long Id { get; set; }

    public required string Host { get; set; }

    /// <summary>Lower-case hex SHA-256 of the credential.</summary>
    public required string Hash { get; set; }

    /// <summary>The agent that enrolled with it (informational).</summary>
    public string AgentId { get; set; } = "";

    /// <summary>"join" (enrolled with a join token), "rotation" or "local" (the all-in-one agent).</summary>
    public string Origin { get; set; } = "join";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }

    /// <summary>Set when revoked (by an operator, or superseded by a rotated credential).</summary>
    public DateTimeOffset? RevokedAt { get; set; }

    public string? RevokedReason { get; set; }
}

/// <summary>A one-time join token for a host (fleet enrollment). Only the SHA-256 hash of the token is kept.</summary>
public sealed class JoinTokenRecord
{
    /// <summary>Lower-case hex SHA-256 of the token.</summary>
    public required string Hash { get; set; }

    public required string Host { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>Set once the token was exchanged for a credential, or invalidated by a newer token or a revoke.</summary>
    public DateTimeOffset? UsedAt { get; set; }
}
