namespace ConOps.Console.Registry;

/// <summary>
/// An image reference split the way registries see it. Docker Hub short names are normalized
/// (<c>nginx</c> is <c>docker.io/library/nginx:latest</c>), so the same image is never resolved, cached or
/// compared under two spellings.
/// </summary>
public sealed record ImageReference(string Registry, string Repository, string Tag, string? Digest)
{
    public const string DockerHub = "docker.io";

    /// <summary>Where Docker Hub's registry API actually answers.</summary>
    public const string DockerHubApiHost = "registry-1.docker.io";

    /// <summary>The host[:port] the registry API is reached at.</summary>
    public string ApiHost => Registry == DockerHub ? DockerHubApiHost : Registry;

    /// <summary>The fully spelled-out reference, e.g. <c>docker.io/library/nginx:latest</c>.</summary>
    public string Canonical => Digest is null ? $"{Registry}/{Repository}:{Tag}" : $"{Registry}/{Repository}:{Tag}@{Digest}";

    /// <summary>
    /// True for registries reached over plain HTTP: loopback addresses, as the Docker engine itself treats them
    /// as insecure. Every other registry is spoken to over HTTPS.
    /// </summary>
    public bool IsLoopback
    {
        get
        {
            var host = HostWithoutPort(Registry);
            return host is "localhost" or "::1" or "[::1]" || host.StartsWith("127.", StringComparison.Ordinal);
        }
    }

    /// <summary>Parses a compose <c>image:</c> value; throws <see cref="FormatException"/> with the reason when it is not a reference.</summary>
    public static ImageReference Parse(string image)
    {
        if (string.IsNullOrWhiteSpace(image) || image.Any(char.IsWhiteSpace))
        {
            throw new FormatException($"'{image}' is not an image reference");
        }
        string? digest = null;
        var at = image.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            digest = image[(at + 1)..];
            image = image[..at];
            if (!digest.StartsWith("sha256:", StringComparison.Ordinal) || digest.Length != 71)
            {
                throw new FormatException($"'{digest}' is not a sha256 digest");
            }
        }

        var slash = image.IndexOf('/', StringComparison.Ordinal);
        var first = slash < 0 ? "" : image[..slash];
        // Like the Docker CLI: the first component is a registry only when it looks like a host name.
        var hasRegistry = slash >= 0 && (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost");
        var registry = hasRegistry ? first : DockerHub;
        var rest = hasRegistry ? image[(slash + 1)..] : image;
        if (registry is "index.docker.io" or "registry-1.docker.io" or "registry.hub.docker.com")
        {
            registry = DockerHub;
        }

        var tag = "latest";
        var lastSlash = rest.LastIndexOf('/');
        var colon = rest.LastIndexOf(':');
        if (colon > lastSlash)
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
        }
        if (registry == DockerHub && !rest.Contains('/', StringComparison.Ordinal))
        {
            rest = "library/" + rest;
        }
        if (rest.Length == 0 || tag.Length == 0 || !rest.Equals(rest.ToLowerInvariant(), StringComparison.Ordinal) || rest.Split('/').Any(p => p.Length == 0))
        {
            throw new FormatException($"'{image}' is not a valid image reference (repository names are lower case, tags are not empty)");
        }
        return new ImageReference(registry.ToLowerInvariant(), rest, tag, digest);
    }

    /// <summary>The registry key credentials are looked up under: <c>docker.io</c> for every Docker Hub spelling, host[:port] otherwise.</summary>
    public static string NormalizeServer(string server)
    {
        var s = server.Trim();
        foreach (var scheme in (string[])["https://", "http://"])
        {
            if (s.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            {
                s = s[scheme.Length..];
            }
        }
        s = s.TrimEnd('/');
        if (s.EndsWith("/v1", StringComparison.Ordinal) || s.EndsWith("/v2", StringComparison.Ordinal))
        {
            s = s[..^3];
        }
        s = s.ToLowerInvariant();
        return s is "index.docker.io" or "registry-1.docker.io" or "registry.hub.docker.com" ? DockerHub : s;
    }

    private static string HostWithoutPort(string registry)
    {
        if (registry.StartsWith('['))
        {
            var end = registry.IndexOf(']', StringComparison.Ordinal);
            return end > 0 ? registry[..(end + 1)] : registry;
        }
        var colon = registry.LastIndexOf(':');
        return colon > 0 ? registry[..colon] : registry;
    }
}
