namespace ConOps.Agent.Docker;

/// <summary>Splits and normalizes image references the way the engine reads them.</summary>
public static class ImageReference
{
    /// <summary>The reference without tag or digest: <c>registry:5000/web:1@sha256:..</c> -> <c>registry:5000/web</c>.</summary>
    public static string Repository(string image)
    {
        var at = image.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            image = image[..at];
        }
        var slash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        return colon > slash ? image[..colon] : image;
    }

    /// <summary>The registry host the reference points at; Docker Hub for references without one.</summary>
    public static string Registry(string image)
    {
        var slash = image.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return "docker.io";
        }
        var first = image[..slash];
        return first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost" ? first : "docker.io";
    }

    /// <summary>The (FromImage, Tag) pair the pull API wants; a digest travels in the tag.</summary>
    public static (string FromImage, string Tag) ForPull(string image)
    {
        var at = image.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            return (image[..at], image[(at + 1)..]);
        }
        var slash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        return colon > slash ? (image[..colon], image[(colon + 1)..]) : (image, "latest");
    }

    /// <summary>Registry names that mean Docker Hub, so credentials match however the user wrote them.</summary>
    public static bool SameRegistry(string a, string b)
    {
        static string Normalize(string server)
        {
            var s = server.Trim().ToLowerInvariant();
            s = s.Replace("https://", "", StringComparison.Ordinal).Replace("http://", "", StringComparison.Ordinal).TrimEnd('/');
            var slash = s.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0)
            {
                s = s[..slash];
            }
            return s is "index.docker.io" or "registry-1.docker.io" or "registry.hub.docker.com" ? "docker.io" : s;
        }
        return Normalize(a) == Normalize(b);
    }
}
