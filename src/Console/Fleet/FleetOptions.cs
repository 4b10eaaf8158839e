namespace ConOps.Console.Fleet;

/// <summary>Enrollment, agent transport security and live logs, bound from <c>ConOps:Fleet</c>.</summary>
public sealed class FleetOptions
{
    public const string Section = "ConOps:Fleet";

    /// <summary>
    /// The agent URL as remote agents reach it, put into join commands (e.g. <c>https://console.lan:8081</c>).
    /// Empty means ConOps:Console:AgentUrl with a wildcard address replaced by this machine's name.
    /// </summary>
    public string PublicAgentUrl { get; set; } = "";

    /// <summary>How long a join token stays valid.</summary>
    public TimeSpan JoinTokenLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Allows an <c>http://</c> agent URL (no TLS). Meant for loopback and all-in-one setups only.</summary>
    public bool AllowPlaintextAgents { get; set; }

    /// <summary>An operator-provided certificate for the agent port; empty means the console's own generated one.</summary>
    public AgentCertificateOptions Certificate { get; set; } = new();

    /// <summary>Failed enrollments or connections from one address allowed per <see cref="FailureWindow"/>.</summary>
    public int FailureLimit { get; set; } = 10;

    /// <summary>The window over which failures are counted; an address over the limit waits until it passes.</summary>
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Log lines a viewer may fall behind by before lines are dropped (and counted) for that viewer.</summary>
    public int LogViewerBufferLines { get; set; } = 50_000;

    /// <summary>Recent lines each shared log stream keeps, so a viewer joining late still gets its tail.</summary>
    public int LogHistoryLines { get; set; } = 10_000;

    /// <summary>Largest tail a viewer may ask for.</summary>
    public int MaxLogTail { get; set; } = 100_000;
}

/// <summary>A certificate the operator supplies for the agent port.</summary>
public sealed class AgentCertificateOptions
{
    /// <summary>A PEM certificate (with <see cref="KeyPath"/>) or a PKCS#12 (.pfx/.p12) file.</summary>
    public string Path { get; set; } = "";

    /// <summary>The PEM private key; empty for PKCS#12 or when the key is in the certificate file.</summary>
    public string KeyPath { get; set; } = "";

    /// <summary>Password of the PKCS#12 file or encrypted key. Secret.</summary>
    public string Password { get; set; } = "";
}
