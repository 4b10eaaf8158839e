namespace ConOps.Agent;

/// <summary>Agent settings, bound from <c>ConOps:Agent</c> (environment: <c>ConOps__Agent__ConsoleUrl</c>, ...).</summary>
public sealed class AgentOptions
{
    public const string Section = "ConOps:Agent";

    /// <summary>The console's agent endpoint (its gRPC port, TLS), e.g. <c>https://console.lan:8081</c>.</summary>
    public string ConsoleUrl { get; set; } = "https://127.0.0.1:8081";

    /// <summary>One-time join token from the console, used only when the agent has no credential yet. Secret.</summary>
    public string JoinToken { get; set; } = "";

    /// <summary>SHA-256 fingerprint of the console's certificate to pin (from the join command); empty means normal CA validation.</summary>
    public string CertificateFingerprint { get; set; } = "";

    /// <summary>Allows an <c>http://</c> console URL that is not loopback (the credential then travels unencrypted).</summary>
    public bool AllowPlaintext { get; set; }

    /// <summary>The host name apps target. Defaults to the machine name.</summary>
    public string HostName { get; set; } = Environment.MachineName;

    /// <summary>Where the agent keeps its identity and last desired state, so it survives restarts.</summary>
    public string DataDirectory { get; set; } = "/var/lib/conops-agent";

    /// <summary>The Docker engine to manage.</summary>
    public string DockerEndpoint { get; set; } = "unix:///var/run/docker.sock";

    /// <summary>Full reconcile of every app even without events, to catch anything missed.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the agent tells the console it is alive.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest wait between reconnect attempts (the backoff is jittered and capped here).</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Grace period for a container to stop before it is killed (a service's stop_grace_period wins).</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a replacement container must keep running before the old one is removed.</summary>
    public TimeSpan StabilizationWindow { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a replacement with a healthcheck may take to become healthy before it is rolled back.</summary>
    public TimeSpan HealthyTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a service waits for its depends_on conditions (started, healthy, completed) before failing.</summary>
    public TimeSpan DependencyTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Flap control: restarts are counted over this window ("crash loop, N restarts in 5 min").</summary>
    public TimeSpan FlapWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Flap control: restarts allowed within the window before backoff starts.</summary>
    public int FlapFreeRestarts { get; set; } = 3;

    /// <summary>Flap control: the first backoff delay; each further restart doubles it.</summary>
    public TimeSpan FlapBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Flap control and failed applies: the longest wait before the next attempt.</summary>
    public TimeSpan FlapMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>After a failed apply (pull error, rollback), the first wait before the same change is retried.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(10);
}
