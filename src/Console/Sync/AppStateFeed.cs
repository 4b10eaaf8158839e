using System.Collections.Concurrent;
using System.Text.Json;

namespace ConOps.Console.Sync;

/// <summary>A change waiting for approval on one host, as the pages list it.</summary>
public sealed record PendingApproval(string App, string Host, string? Commit, string Message, DateTimeOffset? Since, string Plan);

/// <summary>
/// Pushes what is decided per app and host, and lives only in the database, to the pages that show it: a change
/// starts or stops waiting for approval, a host is paused or resumed, a release opens or closes. The syncer and
/// the release log report each change after saving it; pages subscribe instead of re-reading on a timer. The
/// pending approvals themselves are kept here, so the fleet page lists them without a query.
/// </summary>
public sealed class AppStateFeed
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly ConcurrentDictionary<(string App, string Host), PendingApproval> _pending = new();
    private readonly Lock _gate = new();
    private Action<string>[] _subscribers = [];

    /// <summary>Every change waiting for approval, oldest first.</summary>
    public IReadOnlyList<PendingApproval> PendingApprovals =>
        [.. _pending.Values.OrderBy(p => p.Since ?? DateTimeOffset.MaxValue).ThenBy(p => p.App, StringComparer.Ordinal).ThenBy(p => p.Host, StringComparer.Ordinal)];

    /// <summary>Calls <paramref name="onAppChanged"/> with the app's name after each change, until disposed.</summary>
    public IDisposable Subscribe(Action<string> onAppChanged)
    {
        lock (_gate)
        {
            _subscribers = [.. _subscribers, onAppChanged];
        }
        return new Subscription(this, onAppChanged);
    }

    /// <summary>Replaces the known pending approvals with the stored ones (at start).</summary>
    public void Load(IEnumerable<AppHostStateRecord> states)
    {
        var apps = _pending.Keys.Select(k => k.App).ToHashSet(StringComparer.Ordinal);
        _pending.Clear();
        foreach (var state in states)
        {
            Track(state);
            apps.Add(state.App);
        }
        foreach (var app in apps)
        {
            Notify(app);
        }
    }

    /// <summary>An app's state on one host was saved: its pending approval (if any) is taken from it.</summary>
    public void Changed(AppHostStateRecord state)
    {
        Track(state);
        Notify(state.App);
    }

    /// <summary>Something else about the app changed (a release opened or closed).</summary>
    public void Changed(string app) => Notify(app);

    private void Track(AppHostStateRecord state)
    {
        if (state.Pending is null)
        {
            _pending.TryRemove((state.App, state.Host), out _);
            return;
        }
        var plan = state.PendingPlan is { Length: > 0 } json ? JsonSerializer.Deserialize<ChangePlan>(json, Json) : null;
        _pending[(state.App, state.Host)] = new PendingApproval(
            state.App, state.Host, state.PendingCommit, state.PendingMessage, state.PendingSince, plan is { HasChanges: true } ? plan.Summary : "no service changes");
    }

    private void Notify(string app)
    {
        foreach (var subscriber in _subscribers)
        {
            subscriber(app);
        }
    }

    private sealed class Subscription(AppStateFeed owner, Action<string> onAppChanged) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._gate)
            {
                owner._subscribers = [.. owner._subscribers.Where(s => s != onAppChanged)];
            }
        }
    }
}
