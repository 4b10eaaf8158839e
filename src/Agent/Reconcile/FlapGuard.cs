namespace ConOps.Agent.Reconcile;

/// <summary>
/// Keeps self-heal calm: a service may be restarted a few times freely, then each further restart within the
/// window waits twice as long as the one before (capped), and the service shows as a crash loop meanwhile.
/// </summary>
public sealed class FlapGuard(TimeProvider time, TimeSpan window, int freeRestarts, TimeSpan baseDelay, TimeSpan maxDelay)
{
    private readonly Dictionary<(string App, string Service), List<DateTimeOffset>> _restarts = [];
    private readonly Dictionary<(string App, string Service), int> _totals = [];

    public TimeSpan Window => window;

    /// <summary>When the next restart may happen; null when it may happen now.</summary>
    public DateTimeOffset? BlockedUntil(string app, string service)
    {
        var recent = Recent(app, service);
        if (recent.Count < freeRestarts)
        {
            return null;
        }
        var exponent = Math.Min(recent.Count - freeRestarts, 16);
        var delay = TimeSpan.FromTicks(Math.Min(maxDelay.Ticks, baseDelay.Ticks * (1L << exponent)));
        var allowed = recent[^1] + delay;
        return allowed > time.GetUtcNow() ? allowed : null;
    }

    public void RecordRestart(string app, string service)
    {
        Recent(app, service).Add(time.GetUtcNow());
        _totals[(app, service)] = _totals.GetValueOrDefault((app, service)) + 1;
    }

    /// <summary>A new container (a deployment) starts with a clean slate.</summary>
    public void Reset(string app, string service)
    {
        _restarts.Remove((app, service));
        _totals.Remove((app, service));
    }

    public int RecentCount(string app, string service) => Recent(app, service).Count;

    public int Total(string app, string service) => _totals.GetValueOrDefault((app, service));

    private List<DateTimeOffset> Recent(string app, string service)
    {
        if (!_restarts.TryGetValue((app, service), out var list))
        {
            _restarts[(app, service)] = list = [];
        }
        var cutoff = time.GetUtcNow() - window;
        list.RemoveAll(t => t < cutoff);
        return list;
    }
}
