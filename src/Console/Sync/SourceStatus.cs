using System.Collections.Concurrent;

namespace ConOps.Console.Sync;

/// <summary>The source side of one app right now: what was last synced, the error and warnings, and when to retry.</summary>
public sealed record AppSourceState(
    string? SyncedHead,
    DateTimeOffset LastDigestCheck,
    string? Error,
    bool ErrorIsTransient,
    int Failures,
    DateTimeOffset? NextRetry,
    DateTimeOffset? LastSyncedAt,
    IReadOnlyList<string> Warnings)
{
    public static readonly AppSourceState Empty = new(null, DateTimeOffset.MinValue, null, false, 0, null, null, []);
}

/// <summary>
/// Per-app source status shared by the syncer (writes), the poller (reads backoff) and the API (reads).
/// Failures back off exponentially with jitter so a broken repository or registry is not hammered.
/// </summary>
public sealed class SourceStatus
{
    private readonly ConcurrentDictionary<string, AppSourceState> _apps = new(StringComparer.Ordinal);

    public AppSourceState Get(string app) => _apps.GetValueOrDefault(app) ?? AppSourceState.Empty;

    public void Succeeded(string app, string head, DateTimeOffset now, IReadOnlyList<string> warnings) =>
        _apps[app] = new AppSourceState(head, now, null, false, 0, null, now, [.. warnings.Distinct(StringComparer.Ordinal).Take(50)]);

    /// <summary>Records a failure; returns how long until the next automatic attempt.</summary>
    public TimeSpan Failed(string app, string error, bool transient, DateTimeOffset now, TimeSpan minDelay, TimeSpan maxDelay)
    {
        var previous = Get(app);
        var failures = previous.Failures + 1;
        var delay = RetryDelay(failures, minDelay, maxDelay, Random.Shared.NextDouble());
        _apps[app] = previous with { Error = error, ErrorIsTransient = transient, Failures = failures, NextRetry = now + delay };
        return delay;
    }

    /// <summary>min * 2^(failures-1), capped at max, with +-20% jitter so many failing apps do not retry in lockstep.</summary>
    public static TimeSpan RetryDelay(int failures, TimeSpan minDelay, TimeSpan maxDelay, double random)
    {
        var exponential = minDelay.TotalSeconds * Math.Pow(2, Math.Min(failures - 1, 20));
        var capped = Math.Min(exponential, maxDelay.TotalSeconds);
        return TimeSpan.FromSeconds(capped * (0.8 + (random * 0.4)));
    }

    public bool InBackoff(string app, DateTimeOffset now) => Get(app).NextRetry is { } next && next > now;

    public void Forget(string app) => _apps.TryRemove(app, out _);
}
