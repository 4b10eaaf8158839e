using System.Text.RegularExpressions;

namespace ConOps.Console.Components.Shared;

/// <summary>
/// Where a commit can be read on the web. GitHub, Gitea, Forgejo and Bitbucket serve a repository at
/// <c>https://host/owner/repo</c> and GitLab at <c>https://host/group[/subgroup…]/project</c>, so an http(s) repository
/// URL of that shape names the commit's page. Other URLs (ssh, scp-like, git://, file://, local paths, other http
/// layouts) name no page.
/// </summary>
public static partial class CommitLinks
{
    /// <summary>
    /// The commit's page, or null when the repository URL names none. Built from the URL's scheme, host, port and
    /// path only: a user name or token written into the URL never reaches the page.
    /// </summary>
    public static string? WebUrl(string? repoUrl, string? commit)
    {
        if (string.IsNullOrWhiteSpace(repoUrl) || commit is null || !CommitPattern().IsMatch(commit)
            || !Uri.TryCreate(repoUrl.Trim(), UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https")
            || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            return null;
        }
        var path = uri.AbsolutePath.Trim('/');
        if (path.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
        {
            path = path[..^4];
        }
        var segments = path.Split('/');
        var gitLab = uri.Host.Split('.').Contains("gitlab", StringComparer.OrdinalIgnoreCase);
        // GitLab nests projects in groups and subgroups; the others have exactly an owner and a repository.
        // "-" starts GitLab's own pages (/-/tree, /-/commit): such a URL is a page, not a repository.
        if (segments.Length < 2 || (!gitLab && segments.Length != 2) || segments.Any(s => s is "" or "-"))
        {
            return null;
        }
        var site = uri.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped);
        var commitPage = gitLab ? "-/commit" : uri.Host.Equals("bitbucket.org", StringComparison.OrdinalIgnoreCase) ? "commits" : "commit";
        return $"{site}/{path}/{commitPage}/{commit.ToLowerInvariant()}";
    }

    /// <summary>The commit a release revision names: <c>main@sha1:0123…</c> or <c>sha1:0123…</c> -> <c>0123…</c>; null for anything else.</summary>
    public static string? CommitOf(string? revision)
    {
        var at = revision?.LastIndexOf("sha1:", StringComparison.Ordinal) ?? -1;
        return at >= 0 && revision![(at + 5)..] is var commit && CommitPattern().IsMatch(commit) ? commit : null;
    }

    [GeneratedRegex("^[0-9a-fA-F]{7,64}$")]
    private static partial Regex CommitPattern();
}
