using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace ConOps.Console.Apps;

/// <summary>
/// An app as declared in the fleet file, in configuration (<c>ConOps:Apps</c>) or posted to <c>/api/apps</c>:
/// which compose project, from which Git reference, runs on which hosts, and how changes reach them.
/// </summary>
public sealed partial class AppDefinition
{
    public string Name { get; set; } = "";

    /// <summary>Local path, file://, git://, http(s)://, ssh://host:port/path or scp-style user@host:path.</summary>
    public string RepoUrl { get; set; } = "";

    /// <summary>Branch to follow. Exactly one of branch, tag and commit; "main" when none is given.</summary>
    public string? Branch { get; set; }

    /// <summary>Tag to deploy (followed if it is moved).</summary>
    public string? Tag { get; set; }

    /// <summary>A pinned commit (full or abbreviated sha).</summary>
    public string? Commit { get; set; }

    /// <summary>Folder inside the repository holding the compose files.</summary>
    public string Path { get; set; } = ".";

    /// <summary>Compose files in merge order, relative to <see cref="Path"/>; empty means compose.yaml (or docker-compose.yml etc.).</summary>
    public List<string> ComposeFiles { get; set; } = [];

    /// <summary>Files of KEY=VALUE lines (relative to <see cref="Path"/>) giving interpolation variables; <c>.env</c> is read by compose itself.</summary>
    public List<string> EnvFiles { get; set; } = [];

    /// <summary>Interpolation variables for every host; they win over env files.</summary>
    public Dictionary<string, string> Variables { get; set; } = [];

    /// <summary>Compose profiles to enable.</summary>
    public List<string> Profiles { get; set; } = [];

    /// <summary>Target hosts by name.</summary>
    public List<string> Hosts { get; set; } = [];

    /// <summary>Target hosts by label: every host whose labels include all of these.</summary>
    public Dictionary<string, string> HostSelector { get; set; } = [];

    /// <summary>Per-host additions: an override compose file and variables that win over the app's.</summary>
    public Dictionary<string, HostOverride> HostOverrides { get; set; } = [];

    public AppPolicy Policy { get; set; } = new();

    /// <summary>Git credentials. Write-only: stored encrypted, never shown again.</summary>
    public GitAuth? Git { get; set; }

    /// <summary>Registry logins for digest resolution and for the agents' pulls. Passwords are write-only.</summary>
    public List<RegistryLogin> Registries { get; set; } = [];

    /// <summary>What the app follows, as revisions name it: the branch, the tag, or the pinned commit.</summary>
    [JsonIgnore]
    public string RefName => Commit ?? Tag ?? Branch ?? "main";

    [JsonIgnore]
    public GitRefKind RefKind => Commit is not null ? GitRefKind.Commit : Tag is not null ? GitRefKind.Tag : GitRefKind.Branch;

    /// <summary>Problems a user must fix before the app can be saved; empty when valid.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!NamePattern().IsMatch(Name))
        {
            errors["name"] = ["Use 1-63 lower-case letters, digits, '-' or '_', starting with a letter or digit (it becomes the compose project name)."];
        }
        if (string.IsNullOrWhiteSpace(RepoUrl))
        {
            errors["repoUrl"] = ["Give the repository as a local path, file://, git://, http(s)://, ssh://host:port/path or user@host:path."];
        }
        else if (UrlWithPassword().IsMatch(RepoUrl) || HttpUrlWithUser().IsMatch(RepoUrl))
        {
            // Over http(s) a user name alone may be a token (GitHub and others accept one there).
            errors["repoUrl"] = ["Do not put credentials in the URL (they would show in logs and the API); give them under 'git'."];
        }
        else if (UrlScheme().Match(RepoUrl) is { Success: true } scheme && !KnownSchemes.Contains(scheme.Groups[1].Value.ToLowerInvariant()))
        {
            errors["repoUrl"] = [$"'{scheme.Groups[1].Value}://' is not a Git transport ConOps speaks: use https://, http://, ssh://, git://, file://, user@host:path or a local path."];
        }
        if (new[] { Branch, Tag, Commit }.Count(v => v is not null) > 1)
        {
            errors["ref"] = ["Give only one of branch, tag and commit."];
        }
        if (Commit is not null && !CommitPattern().IsMatch(Commit))
        {
            errors["commit"] = ["A commit is 7 to 40 hexadecimal characters."];
        }
        if ((Branch ?? Tag) is { } refName && (refName.Length == 0 || refName.Contains("..", StringComparison.Ordinal) || refName.Any(char.IsWhiteSpace)))
        {
            errors["ref"] = ["The branch or tag name is not valid."];
        }
        foreach (var (key, relative) in PathsToCheck())
        {
            if (LeavesRepository(relative))
            {
                errors[key] = [$"'{relative}' must stay inside the repository (no absolute paths, no '..' above the root)."];
            }
        }
        if (Hosts.Count == 0 && HostSelector.Count == 0)
        {
            errors["hosts"] = ["Name at least one host (hosts: [\"local\"]) or give a hostSelector (hostSelector: {role: web})."];
        }
        if (Hosts.Any(string.IsNullOrWhiteSpace))
        {
            errors["hosts"] = ["Host names may not be empty."];
        }
        if (Registries.Any(r => string.IsNullOrWhiteSpace(r.Server) || string.IsNullOrWhiteSpace(r.Username)))
        {
            errors["registries"] = ["Every registry login needs a server (e.g. ghcr.io or registry.local:5000) and a username."];
        }
        if (Git is { SshPrivateKey: { Length: > 0 } sshKey } && !sshKey.Contains("PRIVATE KEY", StringComparison.Ordinal))
        {
            errors["git.sshPrivateKey"] = ["Paste the private key itself (the text starting with -----BEGIN ... PRIVATE KEY-----)."];
        }
        return errors;
    }

    private IEnumerable<(string Key, string Path)> PathsToCheck()
    {
        yield return ("path", Path);
        foreach (var file in ComposeFiles)
        {
            yield return ("composeFiles", file);
        }
        foreach (var file in EnvFiles)
        {
            yield return ("envFiles", file);
        }
        foreach (var (host, hostOverride) in HostOverrides)
        {
            if (hostOverride.ComposeFile is { } file)
            {
                yield return ($"hostOverrides.{host}.composeFile", file);
            }
        }
    }

    /// <summary>True when a relative path is absolute or climbs above its root with '..'.</summary>
    public static bool LeavesRepository(string relative)
    {
        if (System.IO.Path.IsPathRooted(relative) || relative.StartsWith('~'))
        {
            return true;
        }
        var depth = 0;
        foreach (var part in relative.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            depth += part switch { ".." => -1, "." => 0, _ => 1 };
            if (depth < 0)
            {
                return true;
            }
        }
        return false;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[0-9a-fA-F]{7,40}$")]
    private static partial Regex CommitPattern();

    [GeneratedRegex("^[a-zA-Z][a-zA-Z0-9+.-]*://[^/@]*:[^/@]*@")]
    private static partial Regex UrlWithPassword();

    [GeneratedRegex("^https?://[^/@]*@", RegexOptions.IgnoreCase)]
    private static partial Regex HttpUrlWithUser();

    [GeneratedRegex("^([a-zA-Z][a-zA-Z0-9+.-]*)://")]
    private static partial Regex UrlScheme();

    private static readonly HashSet<string> KnownSchemes = ["http", "https", "ssh", "git", "file"];
}

public enum GitRefKind
{
    Branch,
    Tag,
    Commit,
}

/// <summary>What one host adds to an app.</summary>
public sealed class HostOverride
{
    /// <summary>An extra compose file merged last for this host, relative to the app's path.</summary>
    public string? ComposeFile { get; set; }

    /// <summary>Variables for this host only; they win over the app's.</summary>
    public Dictionary<string, string> Variables { get; set; } = [];
}

/// <summary>How changes reach the hosts.</summary>
public sealed class AppPolicy
{
    /// <summary>Deploy new revisions as soon as they are seen. Off: changes wait until someone syncs.</summary>
    public bool Automated { get; set; } = true;

    /// <summary>Agents undo drift (stopped, removed or changed containers) as soon as they see it.</summary>
    public bool SelfHeal { get; set; } = true;

    /// <summary>Agents remove containers of services that are no longer declared.</summary>
    public bool Prune { get; set; } = true;

    /// <summary>Hosts where each change waits for approval ("*" for every host).</summary>
    public List<string> ApprovalHosts { get; set; } = [];

    public bool RequiresApproval(string host) => !Automated || ApprovalHosts.Contains("*") || ApprovalHosts.Contains(host);
}

/// <summary>Git credentials: HTTPS user/password or token, or an SSH key with the server's known_hosts lines.</summary>
public sealed class GitAuth
{
    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>An access token (GitHub/GitLab/Gitea personal or deploy token); used as the HTTPS password.</summary>
    public string? Token { get; set; }

    public string? SshPrivateKey { get; set; }

    /// <summary>known_hosts lines for the SSH server; the console's known_hosts file is used when empty.</summary>
    public string? SshKnownHosts { get; set; }
}

/// <summary>A login to one registry.</summary>
public sealed class RegistryLogin
{
    /// <summary>host[:port], e.g. ghcr.io, registry.local:5000 or docker.io.</summary>
    public string Server { get; set; } = "";

    public string Username { get; set; } = "";

    /// <summary>Write-only; kept encrypted.</summary>
    public string? Password { get; set; }
}
