namespace ConOps.Console.Notifications;

/// <summary>The events a rule can ask for.</summary>
public static class NotificationEvents
{
    /// <summary>An app's source fails to fetch or render, or a release failed on a host.</summary>
    public const string SyncFailed = "sync-failed";

    /// <summary>Live containers differ from the desired state and self-heal is off, so nobody will undo it.</summary>
    public const string DriftDetected = "drift-detected";

    /// <summary>A service is degraded (exited, restarting, failing its healthcheck).</summary>
    public const string HealthDegraded = "health-degraded";

    /// <summary>A replacement failed and the previous container was restored.</summary>
    public const string RolledBack = "rolled-back";

    /// <summary>A host's agent has not been connected for longer than the confirmation delay.</summary>
    public const string HostOffline = "host-offline";

    /// <summary>A deployment waits for someone to approve it.</summary>
    public const string PendingApproval = "pending-approval";

    public static IReadOnlyList<string> All { get; } = [SyncFailed, DriftDetected, HealthDegraded, RolledBack, HostOffline, PendingApproval];

    public static string Title(string name) => name switch
    {
        SyncFailed => "Sync failed",
        DriftDetected => "Drift detected",
        HealthDegraded => "Health degraded",
        RolledBack => "Rolled back",
        HostOffline => "Host offline",
        PendingApproval => "Pending approval",
        _ => name,
    };
}

/// <summary>A problem seen now. Its key identifies the incident it belongs to.</summary>
public sealed record Condition(string Event, string? App, string? Host, string? Service, string Summary)
{
    public string Key => $"{Event}|{App}|{Host}|{Service}";

    /// <summary>Where it happened, for messages: "app web / service api on host edge-1".</summary>
    public string Where => string.Join(" ", new[]
    {
        App is null ? null : $"app {App}",
        Service is null ? null : $"service {Service}",
        Host is null ? null : $"on host {Host}",
    }.Where(p => p is not null));
}
