using ConOps.Contract;
using Google.Protobuf.WellKnownTypes;

namespace ConOps.Agent.Reconcile;

/// <summary>
/// The last status reported for every service, so the agent sends only changes, and a full snapshot when a
/// new session with the console begins.
/// </summary>
public sealed class ServiceStatusBook
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string App, string Service), ServiceStatus> _last = [];

    /// <summary>Records the current statuses of one app and returns those that changed (including removals).</summary>
    public IReadOnlyList<ServiceStatus> Update(string app, IReadOnlyList<ServiceStatus> current, DateTimeOffset now)
    {
        var changed = new List<ServiceStatus>();
        lock (_gate)
        {
            foreach (var status in current)
            {
                var key = (status.App, status.Service);
                _last.TryGetValue(key, out var previous);
                var transitioned = previous is null || previous.Sync != status.Sync || previous.Health != status.Health;
                status.LastTransition = transitioned ? Timestamp.FromDateTimeOffset(now) : previous!.LastTransition;
                if (previous is null || !previous.Equals(status))
                {
                    _last[key] = status;
                    changed.Add(status);
                }
            }
            var present = current.Select(s => s.Service).ToHashSet(StringComparer.Ordinal);
            foreach (var gone in _last.Keys.Where(k => k.App == app && !present.Contains(k.Service)).ToList())
            {
                _last.Remove(gone);
                changed.Add(new ServiceStatus { App = gone.App, Service = gone.Service, Removed = true, LastTransition = Timestamp.FromDateTimeOffset(now) });
            }
        }
        return changed;
    }

    /// <summary>
    /// Records one service's status in the middle of an apply (e.g. its new container runs) and returns it when
    /// it changed, else null. Other services of the app are left as they are.
    /// </summary>
    public ServiceStatus? Set(ServiceStatus status, DateTimeOffset now)
    {
        lock (_gate)
        {
            var key = (status.App, status.Service);
            _last.TryGetValue(key, out var previous);
            var transitioned = previous is null || previous.Sync != status.Sync || previous.Health != status.Health;
            status.LastTransition = transitioned ? Timestamp.FromDateTimeOffset(now) : previous!.LastTransition;
            if (previous is not null && previous.Equals(status))
            {
                return null;
            }
            _last[key] = status;
            return status;
        }
    }

    /// <summary>Forgets every app not in <paramref name="apps"/> and returns removal notices for their services.</summary>
    public IReadOnlyList<ServiceStatus> Retain(IReadOnlySet<string> apps, DateTimeOffset now)
    {
        lock (_gate)
        {
            var gone = _last.Keys.Where(k => !apps.Contains(k.App)).ToList();
            foreach (var key in gone)
            {
                _last.Remove(key);
            }
            return gone.Select(k => new ServiceStatus { App = k.App, Service = k.Service, Removed = true, LastTransition = Timestamp.FromDateTimeOffset(now) }).ToList();
        }
    }

    public StatusReport Snapshot()
    {
        var report = new StatusReport { FullSnapshot = true };
        lock (_gate)
        {
            report.Services.AddRange(_last.Values.Select(s => s.Clone()));
        }
        return report;
    }
}
