using ConOps.Agent.Docker;
using ConOps.Contract;
using Google.Protobuf.WellKnownTypes;

namespace ConOps.Agent.Reconcile;

public sealed partial class Reconciler
{
    /// <summary>Turns the plan into per-service statuses and sends the ones that changed.</summary>
    private void Report(AppDesiredState app, ReconcilePlan plan, bool enforced)
    {
        var now = _time.GetUtcNow();
        var current = StatusesFor(app, plan.Services, enforced);
        foreach (var orphan in plan.Orphans)
        {
            var status = new ServiceStatus
            {
                App = app.App,
                Service = orphan.Service,
                Sync = SyncStatus.OutOfSync,
                Health = orphan.IsRunning ? HealthStatus.Healthy : HealthStatus.Degraded,
                Reason = "orphan: the service is no longer desired; prune is off, so it is left as it is",
                ContainerId = orphan.Id,
                Image = orphan.Image,
                ImageDigest = orphan.ImageDigest,
                ConfigHash = orphan.ConfigHash,
                Revision = orphan.Revision,
            };
            status.DriftedFields.Add("orphan");
            current.Add(status);
        }
        foreach (var problem in plan.Problems)
        {
            LogProblem(app.App, problem);
        }
        var changed = _statuses.Update(app.App, current, now);
        if (changed.Count > 0)
        {
            var report = new StatusReport();
            report.Services.AddRange(changed);
            _outbox.Post(new AgentMessage { Status = report });
        }
    }

    /// <summary>The services about to change, sent before the apply takes its time, so the console sees why at once.</summary>
    private void ReportPlanned(AppDesiredState app, ReconcilePlan plan)
    {
        var changing = plan.Services.Where(v => v.Action != ServiceAction.None).Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var status in StatusesFor(app, plan.Services.Where(v => changing.Contains(v.Name)), enforced: true))
        {
            Send(status);
        }
    }

    /// <summary>One status per service: a scaled service's replicas are folded into one.</summary>
    private List<ServiceStatus> StatusesFor(AppDesiredState app, IEnumerable<ServiceVerdict> verdicts, bool enforced) =>
        verdicts.GroupBy(v => v.Name, StringComparer.Ordinal)
            .Select(replicas => Fold([.. replicas.Select(v => StatusFor(app, v, enforced))]))
            .ToList();

    /// <summary>
    /// A scaled service as one status: out of sync when a replica is, the worst health of its replicas, the
    /// reasons of the replicas that are not fine, and replica 1's container for the details.
    /// </summary>
    private static ServiceStatus Fold(List<ServiceStatus> replicas)
    {
        if (replicas.Count == 1)
        {
            return replicas[0];
        }
        var status = replicas[0].Clone();
        status.Sync = replicas.Any(r => r.Sync == SyncStatus.OutOfSync) ? SyncStatus.OutOfSync
            : replicas.All(r => r.Sync == SyncStatus.Synced) ? SyncStatus.Synced : SyncStatus.Unknown;
        status.Health = replicas.Select(r => r.Health).MaxBy(HealthRank);
        status.DriftedFields.Clear();
        status.DriftedFields.AddRange(replicas.SelectMany(r => r.DriftedFields).Distinct(StringComparer.Ordinal));
        foreach (var (field, live) in replicas.Skip(1).SelectMany(r => r.LiveValues).Where(v => !status.LiveValues.ContainsKey(v.Key)))
        {
            status.LiveValues[field] = live;
        }
        status.RestartCount = replicas.Sum(r => r.RestartCount);
        var troubled = replicas.Select((r, i) => (Status: r, Number: i + 1))
            .Where(r => r.Status.Sync != SyncStatus.Synced || r.Status.Health != HealthStatus.Healthy)
            .ToList();
        status.Reason = troubled.Count == 0
            ? $"{replicas.Count} replicas running"
            : string.Join("; ", troubled.Select(r => $"replica {r.Number}: {r.Status.Reason}"));
        return status;
    }

    private static int HealthRank(HealthStatus health) => health switch
    {
        HealthStatus.Healthy => 0,
        HealthStatus.Unknown => 1,
        HealthStatus.Progressing => 2,
        HealthStatus.Missing => 3,
        _ => 4,
    };

    /// <summary>
    /// A replacement's progress, sent the moment it happens: the new container runs with the desired hash
    /// (Synced, Progressing while it proves itself; Healthy once it has). The stabilization watch goes on.
    /// </summary>
    private async Task ReportReplacementAsync(AppDesiredState app, ServiceVerdict verdict, string containerId, bool proven, CancellationToken ct)
    {
        if (ManagedLabels.Replicas(verdict.Desired.Spec) > 1)
        {
            return; // one replica does not speak for the service; the report after the apply folds them all
        }
        var inspect = await _engine.InspectContainerAsync(containerId, ct);
        if (inspect.State is not { Running: true } state)
        {
            return; // the stabilization watch says what went wrong
        }
        var image = await ImageAsync(inspect.Image, ct);
        var healthcheck = state.Health is not null;
        var status = new ServiceStatus
        {
            App = app.App,
            Service = verdict.Name,
            Sync = SyncStatus.Synced,
            Health = proven ? HealthStatus.Healthy : HealthStatus.Progressing,
            Reason = proven ? "running"
                : healthcheck ? "new container running, waiting for its healthcheck before the old one is removed"
                : $"new container running; the old one is kept for {_options.StabilizationWindow.TotalSeconds:0.#} s in case it fails",
            ContainerId = inspect.Id,
            Image = inspect.Config?.Image ?? verdict.Desired.Spec.Image,
            ImageDigest = ObservedContainerDetails.DigestOf(image, verdict.Desired.Spec.ImageDigest),
            ConfigHash = verdict.Desired.ConfigHash,
            DesiredConfigHash = verdict.Desired.ConfigHash,
            Revision = app.Revision,
            RestartCount = _flaps.Total(app.App, verdict.Key) + (int)Math.Min(int.MaxValue, inspect.RestartCount),
        };
        if (ObservedContainerDetails.EngineTime(state.StartedAt) is { } started)
        {
            status.StartedAt = Timestamp.FromDateTimeOffset(started);
        }
        if (proven && _warnings.TryGetValue((app.App, verdict.Name), out var warning))
        {
            status.Reason += $" (warning: {warning})";
        }
        Send(status);
    }

    private void Send(ServiceStatus status)
    {
        if (_statuses.Set(status, _time.GetUtcNow()) is { } changed)
        {
            _outbox.Post(new AgentMessage { Status = new StatusReport { Services = { changed } } });
        }
    }

    private ServiceStatus StatusFor(AppDesiredState app, ServiceVerdict verdict, bool enforced)
    {
        var key = (app.App, verdict.Key);
        var status = new ServiceStatus
        {
            App = app.App,
            Service = verdict.Name,
            Image = verdict.Desired.Spec.Image,
            DesiredConfigHash = verdict.Desired.ConfigHash,
            RestartCount = _flaps.Total(app.App, verdict.Key),
        };
        status.DriftedFields.AddRange(verdict.DriftedFields);
        var inSync = verdict.Action == ServiceAction.None && verdict.DriftedFields.Count == 0;
        status.Sync = inSync ? SyncStatus.Synced : SyncStatus.OutOfSync;
        if (inSync)
        {
            // The desired state is live again (applied, or reverted to what runs): old failures no longer apply.
            _failures.Remove(key);
        }
        var leftAlone = enforced ? "" : "; self-heal is off, so it is left alone";

        var c = verdict.Current;
        if (c is null)
        {
            status.Health = HealthStatus.Missing;
            status.Reason = "no container exists for the service" + leftAlone;
        }
        else
        {
            status.ContainerId = c.Id;
            status.Image = c.Image;
            status.ImageDigest = c.ImageDigest;
            // In sync means created from the desired configuration (a replica kept through a change of scale
            // carries the hash it was created with).
            status.ConfigHash = inSync ? verdict.Desired.ConfigHash : c.ConfigHash;
            status.Revision = c.Revision;
            status.RestartCount += (int)Math.Min(int.MaxValue, c.EngineRestarts);
            foreach (var field in verdict.DriftedFields)
            {
                if (c.LiveValues.TryGetValue(field, out var live))
                {
                    status.LiveValues[field] = live;
                }
            }
            if (c.StartedAt is { } startedAt)
            {
                status.StartedAt = Timestamp.FromDateTimeOffset(startedAt);
            }
            (status.Health, status.Reason) = verdict switch
            {
                { Completed: true } => (HealthStatus.Healthy, "completed successfully"),
                _ when !c.IsRunning => (HealthStatus.Degraded, verdict.Reason + leftAlone),
                _ when c.Health == "unhealthy" => (HealthStatus.Degraded, "running but its healthcheck fails"),
                _ when c.Health == "starting" => (HealthStatus.Progressing, "running, waiting for its healthcheck"),
                _ when !inSync => (HealthStatus.Healthy, verdict.Reason + leftAlone),
                _ => (HealthStatus.Healthy, "running"),
            };
        }

        if (_flaps.BlockedUntil(app.App, verdict.Key) is { } until)
        {
            var minutes = _flaps.Window.TotalMinutes;
            status.Health = HealthStatus.Degraded;
            status.Reason = $"crash loop, {_flaps.RecentCount(app.App, verdict.Key)} restarts in {minutes:0} min; next restart in {Math.Max(1, (until - _time.GetUtcNow()).TotalSeconds):0} s ({verdict.Reason})";
        }
        if (_failures.TryGetValue(key, out var failure) && failure.Hash == verdict.Desired.ConfigHash)
        {
            status.Health = HealthStatus.Degraded;
            status.Reason = failure.Message;
        }
        else if (_warnings.TryGetValue((app.App, verdict.Name), out var warning) && status.Health == HealthStatus.Healthy)
        {
            status.Reason += $" (warning: {warning})";
        }
        return status;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reconcile of app {App} started (force: {Force})")]
    private partial void LogReconcileStarted(string app, bool force);

    [LoggerMessage(Level = LogLevel.Debug, Message = "App {App}: observed {Containers} container(s), changes needed: {HasChanges}")]
    private partial void LogPlanned(string app, int containers, bool hasChanges);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reconcile of app {App} failed: {Error}")]
    private partial void LogReconcileFailed(string app, string error, Exception ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "App {App}: applied ({Trigger}), {Steps} step(s), {Failed} failed")]
    private partial void LogApplied(string app, string trigger, int steps, int failed);

    [LoggerMessage(Level = LogLevel.Information, Message = "App {App} service {Service}: {Action} because {Reason}")]
    private partial void LogStep(string app, string service, string action, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "App {App} service {Service}: apply failed: {Error}; next attempt in {Seconds} s")]
    private partial void LogStepFailed(string app, string service, string error, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "App {App} service {Service}: restart after its dependency {Dependency} was updated failed: {Error}")]
    private partial void LogRestartFailed(string app, string service, string dependency, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "App {App}: removed container {Container} ({Reason})")]
    private partial void LogRemoved(string app, string container, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "App {App}: {Problem}")]
    private partial void LogProblem(string app, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not prune the file store: {Error}")]
    private partial void LogFilePruneFailed(string error);
}
