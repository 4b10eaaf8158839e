using ConOps.Console.Fleet;
using ConOps.Console.History;
using ConOps.Contract;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ConOps.Console.Notifications;

/// <summary>
/// Watches the fleet store and release outcomes (pushed, no polling of agents), turns what it sees into
/// conditions, lets the tracker decide which incidents open or resolve, records them, and queues one
/// message per matching rule target.
/// </summary>
public sealed partial class IncidentMonitor(
    FleetState fleet,
    ReleaseOutcomes releases,
    IDbContextFactory<ConOpsDb> dbs,
    NotificationSender sender,
    IOptions<NotificationOptions> options,
    TimeProvider time,
    ILogger<IncidentMonitor> log) : BackgroundService
{
    private readonly SemaphoreSlim _changed = new(0, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var tracker = new IncidentTracker(options.Value.ConfirmAfter);
        var startedAt = time.GetUtcNow();
        await using (var db = await dbs.CreateDbContextAsync(stoppingToken))
        {
            foreach (var open in await db.Set<IncidentRecord>().AsNoTracking().Where(i => i.ResolvedAt == null).ToListAsync(stoppingToken))
            {
                tracker.Restore(new Condition(open.Event, open.App, open.Host, open.Service, open.Summary), open.OpenedAt);
            }
        }

        using var subscription = fleet.Subscribe(Signal);
        releases.Changed += Signal;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await EvaluateAsync(tracker, startedAt, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogEvaluationFailed(ex);
                }
                // Wake on the next change, when a pending condition would be confirmed, or at the end of the
                // start-up grace; at least every 5 s so time-based conditions (host offline) are seen.
                var wait = TimeSpan.FromSeconds(5);
                if (tracker.NextConfirmation is { } next)
                {
                    wait = TimeSpan.FromTicks(Math.Clamp((next - time.GetUtcNow()).Ticks, TimeSpan.FromMilliseconds(50).Ticks, wait.Ticks));
                }
                using (var timeout = new CancellationTokenSource(wait, time))
                using (var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token))
                {
                    try
                    {
                        await _changed.WaitAsync(wake.Token);
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                    }
                }
                // Let a burst of changes (a status report of many services) settle into one evaluation.
                await Task.Delay(TimeSpan.FromMilliseconds(200), time, stoppingToken);
            }
        }
        finally
        {
            releases.Changed -= Signal;
        }
    }

    private void Signal()
    {
        try
        {
            if (_changed.CurrentCount == 0)
            {
                _changed.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
    }

    private async Task EvaluateAsync(IncidentTracker tracker, DateTimeOffset startedAt, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var now = time.GetUtcNow();
        var hosts = fleet.Hosts.ToDictionary(h => h.Name, StringComparer.Ordinal);
        var appHostStates = await db.AppHostStates.AsNoTracking().ToListAsync(ct);
        var selfHealOff = appHostStates
            .Where(s => s.Deployed is not null && AppDesiredState.Parser.ParseFrom(s.Deployed).Policy is { SelfHeal: false })
            .Select(s => (s.App, s.Host))
            .ToHashSet();

        var seen = Conditions(hosts, appHostStates, selfHealOff);
        var settled = now - startedAt >= options.Value.StartupGrace;
        var changes = tracker.Evaluate(seen, c => settled && IsKnown(c, hosts), now);
        if (changes.Opened.Count == 0 && changes.Resolved.Count == 0)
        {
            return;
        }

        foreach (var opened in changes.Opened)
        {
            db.Set<IncidentRecord>().Add(new IncidentRecord
            {
                Key = opened.Key,
                Event = opened.Event,
                App = opened.App,
                Host = opened.Host,
                Service = opened.Service,
                Summary = opened.Summary,
                OpenedAt = now,
            });
            LogOpened(opened.Event, opened.Where, opened.Summary);
        }
        var resolvedKeys = changes.Resolved.Select(r => r.Condition.Key).ToList();
        foreach (var record in await db.Set<IncidentRecord>().Where(i => i.ResolvedAt == null && resolvedKeys.Contains(i.Key)).ToListAsync(ct))
        {
            record.ResolvedAt = now;
        }
        foreach (var (condition, _) in changes.Resolved)
        {
            LogResolved(condition.Event, condition.Where);
        }
        await db.SaveChangesAsync(ct);

        var rules = await db.Set<NotificationRuleRecord>().AsNoTracking().Where(r => r.Enabled).ToListAsync(ct);
        var appHosts = appHostStates.Where(s => s.Deployed is not null).GroupBy(s => s.App, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(s => s.Host).ToList(), StringComparer.Ordinal);
        var messages = changes.Opened.Select(c => (Condition: c, Message: NotificationMessage.Opened(c, now)))
            .Concat(changes.Resolved.Select(r => (r.Condition, Message: NotificationMessage.Resolved(r.Condition, r.OpenedAt, now))));
        foreach (var (condition, message) in messages)
        {
            foreach (var targetId in rules.Where(r => Matches(r, condition, appHosts)).Select(r => r.TargetId).Distinct())
            {
                sender.Enqueue(targetId, message);
            }
        }
    }

    /// <summary>Everything wrong right now, from the live fleet picture and the latest release outcomes.</summary>
    private List<Condition> Conditions(Dictionary<string, HostView> hosts, List<Sync.AppHostStateRecord> appHostStates, HashSet<(string App, string Host)> selfHealOff)
    {
        var seen = new List<Condition>();
        foreach (var state in appHostStates)
        {
            if (state.Pending is not null)
            {
                var commit = state.PendingCommit is { Length: > 7 } sha ? sha[..7] : state.PendingCommit;
                seen.Add(new Condition(NotificationEvents.PendingApproval, state.App, state.Host, null, $"commit {commit} \"{state.PendingMessage}\" waits for approval since {state.PendingSince:u}"));
            }
            if (state.PausedReason is not null)
            {
                seen.Add(new Condition(NotificationEvents.RolledBack, state.App, state.Host, null, state.PausedReason));
            }
        }
        // Only enrolled hosts that were seen, or were known when the console started, can be offline: a host
        // still joining (enrolled a moment before its first connection) is not a page.
        foreach (var host in hosts.Values.Where(h => !h.Connected && h.Enrollment == EnrollmentState.Enrolled && h.OfflineSince is not null))
        {
            seen.Add(new Condition(NotificationEvents.HostOffline, null, host.Name, null, host.LastSeen is null
                ? "its agent has not connected since the console started"
                : $"its agent has been disconnected since {host.OfflineSince:u}"));
        }
        foreach (var (app, error) in fleet.AppErrors)
        {
            seen.Add(new Condition(NotificationEvents.SyncFailed, app, null, null, error));
        }
        foreach (var outcome in releases.Latest)
        {
            if (outcome.Outcome == "failed")
            {
                var details = string.Join("; ", outcome.Failed.Select(f => $"{f.Service}: {f.Error}"));
                seen.Add(new Condition(NotificationEvents.SyncFailed, outcome.App, outcome.Host, null, $"release {outcome.Revision} failed: {details}"));
            }
            foreach (var (service, error) in outcome.RolledBack)
            {
                seen.Add(new Condition(NotificationEvents.RolledBack, outcome.App, outcome.Host, service, $"release {outcome.Revision} could not replace the container, the previous one runs again: {error}"));
            }
        }
        foreach (var service in fleet.Services)
        {
            if (service.Status.Health == HealthStatus.Degraded)
            {
                seen.Add(new Condition(NotificationEvents.HealthDegraded, service.App, service.Host, service.Service, service.Status.Reason));
            }
            if (service.Status.Sync == SyncStatus.OutOfSync && selfHealOff.Contains((service.App, service.Host)))
            {
                var fields = service.Status.DriftedFields.Count > 0 ? $" ({string.Join(", ", service.Status.DriftedFields)})" : "";
                seen.Add(new Condition(NotificationEvents.DriftDetected, service.App, service.Host, service.Service, $"live container differs from Git{fields} and self-heal is off: {service.Status.Reason}"));
            }
        }
        return seen;
    }

    /// <summary>Whether the absence of a condition means it is gone, or only that nobody has reported yet.</summary>
    private bool IsKnown(Condition condition, Dictionary<string, HostView> hosts) => condition.Event switch
    {
        NotificationEvents.HostOffline or NotificationEvents.PendingApproval => true,
        NotificationEvents.SyncFailed when condition.Host is null => true,
        NotificationEvents.RolledBack when condition.Service is null => true,
        NotificationEvents.SyncFailed or NotificationEvents.RolledBack => releases.Knows(condition.App ?? "", condition.Host ?? ""),
        _ => condition.Host is not null && hosts.TryGetValue(condition.Host, out var host) && host.Connected,
    };

    /// <summary>A rule for one app matches that app's events, and host events of the hosts the app targets.</summary>
    private static bool Matches(NotificationRuleRecord rule, Condition condition, Dictionary<string, List<string>> appHosts) =>
        rule.Events.Contains(condition.Event)
        && (rule.App is null
            || rule.App == condition.App
            || (condition.App is null && condition.Host is not null && appHosts.TryGetValue(rule.App, out var hosts) && hosts.Contains(condition.Host)));

    public override void Dispose()
    {
        _changed.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Incident opened: {Event}, {Where}: {Summary}")]
    private partial void LogOpened(string @event, string where, string summary);

    [LoggerMessage(Level = LogLevel.Information, Message = "Incident resolved: {Event}, {Where}")]
    private partial void LogResolved(string @event, string where);

    [LoggerMessage(Level = LogLevel.Error, Message = "Evaluating incidents failed; trying again on the next change")]
    private partial void LogEvaluationFailed(Exception ex);
}
