using Microsoft.EntityFrameworkCore;

namespace ConOps.Console.Notifications;

/// <summary>Where messages go. The URL and token are secrets (webhook URLs embed tokens): stored encrypted, never shown.</summary>
public sealed class NotificationTargetRecord
{
    public long Id { get; set; }

    public required string Name { get; set; }

    /// <summary>webhook, ntfy, gotify, discord or slack.</summary>
    public required string Kind { get; set; }

    /// <summary>The full URL, encrypted with the console's data protection keys.</summary>
    public required string EncryptedUrl { get; set; }

    /// <summary>Access token (Gotify app token, ntfy access token), encrypted; null when the kind needs none.</summary>
    public string? EncryptedToken { get; set; }

    /// <summary>Scheme, host and port only: what the API and UI may show.</summary>
    public required string DisplayUrl { get; set; }

    public bool Enabled { get; set; } = true;

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>Which events of which app (or of every app) go to a target.</summary>
public sealed class NotificationRuleRecord
{
    public long Id { get; set; }

    public long TargetId { get; set; }

    /// <summary>The app the rule watches; null for every app (and host-level events).</summary>
    public string? App { get; set; }

    /// <summary>Event names from <see cref="NotificationEvents"/>.</summary>
    public List<string> Events { get; set; } = [];

    public bool Enabled { get; set; } = true;
}

/// <summary>
/// One problem from the moment it is confirmed until it goes away: a message when it opens and one when it
/// resolves, however often the condition is seen in between.
/// </summary>
public sealed class IncidentRecord
{
    public long Id { get; set; }

    /// <summary>event|app|host|service: one open incident per key.</summary>
    public required string Key { get; set; }

    public required string Event { get; set; }

    public string? App { get; set; }

    public string? Host { get; set; }

    public string? Service { get; set; }

    public string Summary { get; set; } = "";

    public DateTimeOffset OpenedAt { get; set; }

    public DateTimeOffset? ResolvedAt { get; set; }
}

public static class NotificationModel
{
    /// <summary>Called from ConOpsDb.OnModelCreating.</summary>
    public static void Configure(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<NotificationTargetRecord>().HasIndex(t => t.Name).IsUnique();
        modelBuilder.Entity<NotificationRuleRecord>().HasIndex(r => r.TargetId);
        modelBuilder.Entity<IncidentRecord>(incident =>
        {
            incident.HasIndex(i => i.Key);
            incident.HasIndex(i => i.ResolvedAt);
        });
    }
}
