using System.Text.Json;
using System.Text.RegularExpressions;

namespace ConOps.Console.Webhooks;

/// <summary>What a push webhook says: the repository (by every URL it gives) and the pushed reference.</summary>
public sealed partial record WebhookPush(IReadOnlyList<string> RepositoryUrls, string? Ref)
{
    /// <summary>Reads GitHub, Gitea/Forgejo and GitLab push payloads (they differ only in where the URLs are).</summary>
    public static WebhookPush Parse(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
        using var json = JsonDocument.ParseValue(ref reader);
        var root = json.RootElement;
        var urls = new List<string>();
        foreach (var container in new[] { "repository", "project" })
        {
            if (root.TryGetProperty(container, out var repo) && repo.ValueKind == JsonValueKind.Object)
            {
                foreach (var field in new[] { "clone_url", "ssh_url", "git_url", "html_url", "url", "git_http_url", "git_ssh_url", "homepage", "web_url" })
                {
                    if (repo.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } url)
                    {
                        urls.Add(url);
                    }
                }
            }
        }
        var pushedRef = root.TryGetProperty("ref", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
        return new WebhookPush(urls, pushedRef);
    }

    /// <summary>
    /// One spelling per repository, so https://, ssh:// and scp-style URLs of the same repository compare equal:
    /// host (no user, no port, lower case) and path without ".git"; local paths are kept as they are.
    /// </summary>
    public static string NormalizeUrl(string url)
    {
        var text = url.Trim().TrimEnd('/');
        if (text.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
        {
            text = text[..^4];
        }
        var scheme = SchemeUrl().Match(text);
        if (scheme.Success)
        {
            var host = scheme.Groups["host"].Value.ToLowerInvariant();
            return $"{host}/{scheme.Groups["path"].Value.Trim('/')}";
        }
        var scp = ScpUrl().Match(text);
        if (scp.Success)
        {
            return $"{scp.Groups["host"].Value.ToLowerInvariant()}/{scp.Groups["path"].Value.Trim('/')}";
        }
        return text;
    }

    [GeneratedRegex(@"^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/]*@)?(?<host>\[[^\]]+\]|[^:/]+)(?::\d+)?(?<path>/.*)?$")]
    private static partial Regex SchemeUrl();

    [GeneratedRegex(@"^(?:[^@/]+@)?(?<host>[^:/]+):(?<path>.+)$")]
    private static partial Regex ScpUrl();
}
