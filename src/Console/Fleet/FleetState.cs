using System.Collections.Concurrent;
using ConOps.Contract;

namespace ConOps.Console.Fleet;

/// <summary>A host as the console last saw it.</summary>
public sealed record HostView(
    string Name,
    bool Connected,
    DateTimeOffset? LastSeen,
    DateTimeOffset? OfflineSince,
    string AgentVersion,
    string EngineVersion,
    long AppliedGeneration)
{
    /// <summary>pending, enrolled, revoked or unenrolled (see <see cref="EnrollmentState"/>).</summary>
    public string Enrollment { get; init; } = EnrollmentState.Unenrolled;
}

/// <summary>The latest status of one service on one host.</summary>
public sealed record ServiceView(string Host, string App, string Service, ServiceStatus Status, DateTimeOffset UpdatedAt);

/// <summary>
/// The live picture of the fleet: hosts, services and app errors. Agents write to it; pages and the API
/// read it. Pages subscribe and are pushed a notification on every change instead of polling.
/// </summary>
public sealed class FleetState(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, HostView> _hosts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Host, string App, string Service), ServiceView> _services = new();
    private readonly ConcurrentDictionary<string, string> _appErrors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Host, string App), IReadOnlyDictionary<string, string>> _desired = new();
    private readonly Lock _subscribersGate = new();
    private ImmutableSubscribers _subscribers = new([]);

    public IReadOnlyCollection<HostView> Hosts => [.. _hosts.Values.OrderBy(h => h.Name, StringComparer.Ordinal)];

    public IReadOnlyList<ServiceView> Services =>
        [.. _services.Values.OrderBy(s => s.Host, StringComparer.Ordinal).ThenBy(s => s.App, StringComparer.Ordinal).ThenBy(s => s.Service, StringComparer.Ordinal)];

    /// <summary>Apps whose source currently fails to fetch or render, with the reason.</summary>
    public IReadOnlyDictionary<string, string> AppErrors => new Dictionary<string, string>(_appErrors, StringComparer.Ordinal);

    /// <summary>What the console last published, per host and app: each service's config hash.</summary>
    public IReadOnlyDictionary<(string Host, string App), IReadOnlyDictionary<string, string>> Desired =>
        new Dictionary<(string Host, string App), IReadOnlyDictionary<string, string>>(_desired);

    /// <summary>Records a host's published desired state, so the fleet view can tell "not applied yet" from "synced".</summary>
    public void SetDesired(string host, IEnumerable<AppDesiredState> apps)
    {
        var current = apps.ToDictionary(
            a => (host, a.App),
            a => (IReadOnlyDictionary<string, string>)a.Services.ToDictionary(s => s.Spec.Name, s => s.ConfigHash, StringComparer.Ordinal));
        foreach (var stale in _desired.Keys.Where(k => k.Host == host && !current.ContainsKey(k)))
        {
            _desired.TryRemove(stale, out _);
        }
        foreach (var (key, hashes) in current)
        {
            _desired[key] = hashes;
        }
        Notify();
    }

    /// <summary>Calls <paramref name="onChange"/> after every change until the subscription is disposed.</summary>
    public IDisposable Subscribe(Action onChange)
    {
        lock (_subscribersGate)
        {
            _subscribers = new ImmutableSubscribers([.. _subscribers.Items, onChange]);
        }
        return new Subscription(this, onChange);
    }

    /// <summary>A host the console knows (created for enrollment, or remembered from before a restart) without a live agent.</summary>
    public void HostRegistered(string host, string enrollment)
    {
        _hosts.AddOrUpdate(
            host,
            // An enrolled host not connected (yet) counts as offline from now: the console cannot know better after a restart.
            _ => new HostView(host, false, null, enrollment == EnrollmentState.Enrolled ? time.GetUtcNow() : null, "", "", 0) { Enrollment = enrollment },
            (_, view) => view with { Enrollment = enrollment });
        Notify();
    }

    public void SetEnrollment(string host, string enrollment)
    {
        if (_hosts.TryGetValue(host, out var view) && view.Enrollment != enrollment)
        {
            _hosts[host] = view with { Enrollment = enrollment };
            Notify();
        }
        else if (view is null)
        {
            HostRegistered(host, enrollment);
        }
    }

    public void HostConnected(Hello hello)
    {
        var host = hello.HostName;
        var view = new HostView(host, true, time.GetUtcNow(), null, hello.AgentVersion, hello.EngineVersion, hello.LastAppliedGeneration) { Enrollment = EnrollmentState.Enrolled };
        _hosts[host] = view;
        Notify();
    }

    public void HostSeen(string host)
    {
        if (_hosts.TryGetValue(host, out var view))
        {
            _hosts[host] = view with { LastSeen = time.GetUtcNow() };
        }
    }

    /// <summary>The agent applied a generation of the host's desired state.</summary>
    public void GenerationApplied(string host, long generation)
    {
        if (_hosts.TryGetValue(host, out var view) && generation > view.AppliedGeneration)
        {
            _hosts[host] = view with { AppliedGeneration = generation };
            Notify();
        }
    }

    public void HostDisconnected(string host)
    {
        if (_hosts.TryGetValue(host, out var view))
        {
            _hosts[host] = view with { Connected = false, OfflineSince = time.GetUtcNow() };
            Notify();
        }
    }

    public void ApplyStatus(string host, StatusReport report)
    {
        var now = time.GetUtcNow();
        if (report.FullSnapshot)
        {
            var present = report.Services.Select(s => (host, s.App, s.Service)).ToHashSet();
            foreach (var key in _services.Keys.Where(k => k.Host == host && !present.Contains(k)))
            {
                _services.TryRemove(key, out _);
            }
        }
        foreach (var status in report.Services)
        {
            var key = (host, status.App, status.Service);
            if (status.Removed)
            {
                _services.TryRemove(key, out _);
            }
            else
            {
                _services[key] = new ServiceView(host, status.App, status.Service, status, now);
            }
        }
        Notify();
    }

    public void SetAppError(string app, string? error)
    {
        var changed = error is null ? _appErrors.TryRemove(app, out _) : _appErrors.GetValueOrDefault(app) != error;
        if (error is not null)
        {
            _appErrors[app] = error;
        }
        if (changed)
        {
            Notify();
        }
    }

    private void Notify()
    {
        foreach (var subscriber in _subscribers.Items)
        {
            subscriber();
        }
    }

    private sealed record ImmutableSubscribers(Action[] Items);

    private sealed class Subscription(FleetState owner, Action onChange) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._subscribersGate)
            {
                owner._subscribers = new ImmutableSubscribers([.. owner._subscribers.Items.Where(s => s != onChange)]);
            }
        }
    }
}
