namespace ConOps.Console.Auth;

/// <summary>Sign-in settings, bound from <c>ConOps:Auth</c>.</summary>
public sealed class AuthOptions
{
    public const string Section = "ConOps:Auth";

    /// <summary>
    /// An admin API token for automation (scripts, CI, tests), at least 32 characters. Only its hash is
    /// stored; remove the setting and the token stops working at the next start.
    /// </summary>
    public string? BootstrapToken { get; set; }

    /// <summary>How long a browser stays signed in without activity.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Audit entries kept; older ones are deleted.</summary>
    public int AuditEntriesKept { get; set; } = 20_000;
}
