using System.Collections.Concurrent;
using ConOps.Console.Sync;
using ConOps.Contract;
using Microsoft.Extensions.Options;

namespace ConOps.Console.Registry;

/// <summary>The digest to deploy for one image, and a warning when it could not be confirmed with the registry.</summary>
public sealed record DigestResolution(string? Digest, string? Warning);

/// <summary>
/// Resolves image tags to digests with a cache per image, so each registry is asked at most once per
/// <see cref="SourcesOptions.DigestCheckInterval"/> however many apps use the image. When a registry is down or
/// refuses, the last known digest stays in use and a warning says why: an outage never causes a redeploy.
/// </summary>
public sealed partial class DigestResolver(RegistryClient client, IOptions<SourcesOptions> options, TimeProvider time, ILogger<DigestResolver> log)
{
    private const int MaxCachedImages = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);

    /// <param name="image">The compose <c>image:</c> value.</param>
    /// <param name="credentials">The app's registry logins; the one whose server matches is used.</param>
    /// <param name="lastKnown">The digest deployed so far for this image, used when the registry cannot answer.</param>
    /// <param name="refresh">Ask the registry even when the cached answer is still fresh ("Sync now").</param>
    /// <param name="ct">Cancels the registry request.</param>
    public async Task<DigestResolution> ResolveAsync(string image, IReadOnlyList<RegistryCredential> credentials, string? lastKnown, bool refresh, CancellationToken ct)
    {
        ImageReference reference;
        try
        {
            reference = ImageReference.Parse(image);
        }
        catch (FormatException ex)
        {
            return new DigestResolution(lastKnown, ex.Message);
        }
        if (reference.Digest is not null)
        {
            return new DigestResolution(reference.Digest, null);
        }

        var credential = credentials.FirstOrDefault(c => ImageReference.NormalizeServer(c.Server) == reference.Registry);
        var key = $"{reference.Canonical}|{credential?.Username}";
        var now = time.GetUtcNow();
        if (!refresh && _cache.TryGetValue(key, out var cached) && now - cached.CheckedAt < options.Value.DigestCheckInterval)
        {
            Observability.ConsoleMetrics.RegistryLookup(cached.Error is null, fromCache: true);
            return Answer(cached, lastKnown);
        }

        Entry entry;
        try
        {
            var digest = await client.ResolveDigestAsync(reference, credential, ct);
            entry = new Entry(digest, now, null);
        }
        catch (RegistryException ex)
        {
            var previous = _cache.TryGetValue(key, out var old) ? old.Digest : null;
            LogResolveFailed(reference.Canonical, ex.Message);
            entry = new Entry(previous, now, ex.Message);
        }
        if (_cache.Count >= MaxCachedImages)
        {
            _cache.Clear();
        }
        _cache[key] = entry;
        Observability.ConsoleMetrics.RegistryLookup(entry.Error is null, fromCache: false);
        return Answer(entry, lastKnown);
    }

    private static DigestResolution Answer(Entry entry, string? lastKnown)
    {
        if (entry.Error is null)
        {
            return new DigestResolution(entry.Digest, null);
        }
        var digest = entry.Digest ?? lastKnown;
        var consequence = digest is null ? "deploying the tag without a pinned digest" : $"keeping the last known digest {digest[..19]}...";
        return new DigestResolution(digest, $"{entry.Error}; {consequence}");
    }

    private sealed record Entry(string? Digest, DateTimeOffset CheckedAt, string? Error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot resolve the digest of {Image}: {Error}")]
    private partial void LogResolveFailed(string image, string error);
}
