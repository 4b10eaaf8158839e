using ConOps.Console.Apps;

namespace ConOps.Console.Sync;

/// <summary>How the console watches Git and registries, bound from <c>ConOps:Sources</c>.</summary>
public sealed class SourcesOptions
{
    public const string Section = "ConOps:Sources";

    /// <summary>At most this many repositories are asked for their references at the same time.</summary>
    public int MaxConcurrentPolls { get; set; } = 8;

    /// <summary>How long a resolved image digest is trusted before its registry is asked again (same-tag pushes show up after at most this).</summary>
    public TimeSpan DigestCheckInterval { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Time limit for one registry request.</summary>
    public TimeSpan RegistryTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First retry delay after a failed sync; doubles on each further failure up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan MinRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest delay between retries of a failing app.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Releases older than this are deleted (the newest <see cref="KeepReleasesPerAppHost"/> per app and host are always kept).</summary>
    public TimeSpan HistoryRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Releases always kept per app and host, whatever their age; also the most kept.</summary>
    public int KeepReleasesPerAppHost { get; set; } = 200;

    /// <summary>
    /// Shared secret of the Git webhooks (GitHub/Gitea HMAC key, GitLab token). Webhooks are refused while it is
    /// empty. Secret: give it through the environment (<c>ConOps__Sources__WebhookSecret</c>), never in a file in Git.
    /// </summary>
    public string WebhookSecret { get; set; } = "";

    /// <summary>known_hosts used for SSH repositories whose app gives none.</summary>
    public string KnownHostsFile { get; set; } = "~/.ssh/known_hosts";

    /// <summary>A YAML file declaring hosts and apps (see docs/sources.md); empty for none.</summary>
    public string FleetFile { get; set; } = "";

    /// <summary>When set, <see cref="FleetFile"/> is a path inside this Git repository (the fleet itself managed by GitOps).</summary>
    public string FleetRepoUrl { get; set; } = "";

    /// <summary>Branch of <see cref="FleetRepoUrl"/>.</summary>
    public string FleetRepoBranch { get; set; } = "main";

    /// <summary>
    /// Credentials of <see cref="FleetRepoUrl"/> when it is private (user/password, token, or SSH key and known_hosts).
    /// Secret: give them through the environment (<c>ConOps__Sources__FleetRepoAuth__Token</c>, ...), never in Git.
    /// </summary>
    public GitAuth? FleetRepoAuth { get; set; }
}
