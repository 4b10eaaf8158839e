using ConOps.Agent.Connection;
using ConOps.Agent.Docker;
using ConOps.Contract;
using ConOps.Shared;
using Docker.DotNet;
using Docker.DotNet.Models;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using ServiceSpec = ConOps.Contract.ServiceSpec;
using ServiceStatus = ConOps.Contract.ServiceStatus;

namespace ConOps.Agent.Reconcile;

/// <summary>
/// Drives the engine toward the desired state, one app at a time:
/// observe -> plan -> apply -> observe again -> report.
/// Everything that wants a reconcile (a new desired state, an engine event, the periodic tick, "sync now")
/// only enqueues; this loop is the only place that changes containers.
/// </summary>
public sealed partial class Reconciler(
    DesiredStateStore desired,
    IDockerClient docker,
    AgentOutbox outbox,
    ServiceStatusBook statuses,
    IOptions<AgentOptions> options,
    TimeProvider time,
    ILogger<Reconciler> log) : BackgroundService
{
    private readonly CoalescingQueue _queue = new();

    // Per app: the desired services (by hash) that were last applied successfully, to tell a deployment
    // (new desired state, always applied) from drift (undone only when self-heal is on).
    private readonly Dictionary<string, string> _appliedFingerprints = new(StringComparer.Ordinal);

    // Per app and service: the error of the last failed apply, shown until an apply succeeds.
    private readonly Dictionary<(string App, string Service), string> _lastErrors = [];

    // Container id -> start time, so uptime costs one inspect per container start, not per reconcile.
    private readonly Dictionary<string, DateTimeOffset> _startedAt = new(StringComparer.Ordinal);

    public void Enqueue(string app, bool force = false) =>
        _queue.Enqueue(string.IsNullOrEmpty(app) ? CoalescingQueue.AllApps : app, force);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _queue.Enqueue(CoalescingQueue.AllApps);
        _ = TickAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            var (key, force) = await _queue.DequeueAsync(stoppingToken);
            var apps = key == CoalescingQueue.AllApps
                ? desired.Current.Apps.ToList()
                : desired.Current.Apps.Where(a => a.App == key).ToList();
            foreach (var app in apps)
            {
                try
                {
                    await ReconcileAppAsync(app, desired.Current.Generation, force, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One failing app (or an engine hiccup) must never stop the loop for the others.
                    LogReconcileFailed(app.App, ex.Message, ex);
                }
            }
        }
    }

    private async Task TickAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ReconcileInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            _queue.Enqueue(CoalescingQueue.AllApps);
        }
    }

    private async Task ReconcileAppAsync(AppDesiredState app, long generation, bool force, CancellationToken ct)
    {
        var observed = await ObserveAsync(app.App, ct);
        var plan = ReconcilePlan.For(app, observed, force);
        var fingerprint = Fingerprint(app);
        var isDeployment = !_appliedFingerprints.TryGetValue(app.App, out var applied) || applied != fingerprint;
        var mayApply = isDeployment || force || app.Policy?.SelfHeal == true;

        if (mayApply && (plan.HasChanges || isDeployment))
        {
            var trigger = isDeployment ? "deploy" : force ? "sync" : "self-heal";
            var started = time.GetUtcNow();
            var outcomes = plan.HasChanges ? await ApplyAsync(app, plan, ct) : [];
            var result = new ApplyResult
            {
                Generation = generation,
                App = app.App,
                Revision = app.Revision,
                Trigger = trigger,
                StartedAt = Timestamp.FromDateTimeOffset(started),
                FinishedAt = Timestamp.FromDateTimeOffset(time.GetUtcNow()),
            };
            result.Services.AddRange(outcomes);
            result.Services.AddRange(plan.Unchanged.Select(u => new ServiceApplyOutcome
            {
                Service = u.Name,
                ConfigHash = u.Desired.ConfigHash,
                Action = ApplyAction.Unchanged,
            }));
            outbox.Post(new AgentMessage { ApplyResult = result });
            if (outcomes.All(o => o.Action != ApplyAction.Failed))
            {
                _appliedFingerprints[app.App] = fingerprint;
            }
            LogApplied(app.App, trigger, outcomes.Count, outcomes.Count(o => o.Action == ApplyAction.Failed));
            observed = await ObserveAsync(app.App, ct);
            plan = ReconcilePlan.For(app, observed, force: false);
        }

        await ReportAsync(app, plan, ct);
    }

    private async Task<IReadOnlyList<ObservedContainer>> ObserveAsync(string app, CancellationToken ct)
    {
        // One filtered list call per app: no inspect per container on the no-op path.
        var containers = await docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool>
                {
                    [ManagedLabels.ManagedFilter] = true,
                    [$"{ManagedLabels.App}={app}"] = true,
                },
            },
        }, ct);
        return containers.Select(ObservedContainer.From).ToList();
    }

    private async Task<List<ServiceApplyOutcome>> ApplyAsync(AppDesiredState app, ReconcilePlan plan, CancellationToken ct)
    {
        var outcomes = new List<ServiceApplyOutcome>();

        foreach (var removal in plan.ToRemove)
        {
            await RemoveAsync(removal.Container.Id, ct);
            LogRemoved(app.App, removal.Container.Name, removal.Reason);
            if (!app.Services.Any(s => s.Spec.Name == removal.Container.Service))
            {
                outcomes.Add(new ServiceApplyOutcome { Service = removal.Container.Service, ConfigHash = removal.Container.ConfigHash, Action = ApplyAction.Removed });
            }
        }

        foreach (var step in plan.ToStart)
        {
            outcomes.Add(await RunStepAsync(app, step, ApplyAction.Started, async () =>
                await docker.Containers.StartContainerAsync(step.Current!.Id, new ContainerStartParameters(), ct)));
        }

        foreach (var step in plan.ToCreate)
        {
            outcomes.Add(await RunStepAsync(app, step, ApplyAction.Created, () => CreateAndStartAsync(app, step.Desired, ct)));
        }

        foreach (var step in plan.ToRecreate)
        {
            outcomes.Add(await RunStepAsync(app, step, ApplyAction.Recreated, () => ReplaceAsync(app, step, ct)));
        }

        return outcomes;
    }

    private async Task<ServiceApplyOutcome> RunStepAsync(AppDesiredState app, PlannedService step, ApplyAction action, Func<Task> run)
    {
        var outcome = new ServiceApplyOutcome { Service = step.Name, ConfigHash = step.Desired.ConfigHash, Action = action };
        try
        {
            LogStep(app.App, step.Name, action.ToString(), step.Reason);
            await run();
            _lastErrors.Remove((app.App, step.Name));
        }
        catch (Exception ex) when (ex is DockerApiException or HttpRequestException or InvalidOperationException or ArgumentException or TimeoutException)
        {
            var message = ex is DockerApiException api ? DockerMessage(api) : ex.Message;
            outcome.Action = ApplyAction.Failed;
            outcome.Error = message;
            _lastErrors[(app.App, step.Name)] = message;
            LogStepFailed(app.App, step.Name, message);
        }
        return outcome;
    }

    private async Task CreateAndStartAsync(AppDesiredState app, DesiredService service, CancellationToken ct)
    {
        var name = ManagedLabels.ContainerName(app.App, service.Spec.Name);
        await EnsureImageAsync(service.Spec, ct);
        await ClearNameAsync(name, ct);
        var created = await docker.Containers.CreateContainerAsync(ContainerDefinition.For(app.App, app.Revision, service, name), ct);
        await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), ct);
    }

    /// <summary>
    /// Replaces a running container without losing it on failure: pull and create the new one first, then
    /// stop the old (it may hold the host port), start the new, and only then remove the old. If the new
    /// one does not start, it is removed and the old one started again.
    /// </summary>
    private async Task ReplaceAsync(AppDesiredState app, PlannedService step, CancellationToken ct)
    {
        var old = step.Current!;
        var name = ManagedLabels.ContainerName(app.App, step.Name);
        var nextName = name + "-next";
        await EnsureImageAsync(step.Desired.Spec, ct);
        await ClearNameAsync(nextName, ct);
        var created = await docker.Containers.CreateContainerAsync(ContainerDefinition.For(app.App, app.Revision, step.Desired, nextName), ct);

        await docker.Containers.StopContainerAsync(old.Id, StopParameters(), ct);
        try
        {
            await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), ct);
        }
        catch (DockerApiException ex)
        {
            await RemoveAsync(created.ID, ct);
            if (old.IsRunning)
            {
                await docker.Containers.StartContainerAsync(old.Id, new ContainerStartParameters(), ct);
            }
            throw new InvalidOperationException($"rolled back: the new container did not start: {DockerMessage(ex)}", ex);
        }

        await RemoveAsync(old.Id, ct);
        await docker.Containers.RenameContainerAsync(created.ID, new ContainerRenameParameters { NewName = name }, ct);
    }

    private async Task EnsureImageAsync(ServiceSpec spec, CancellationToken ct)
    {
        var image = ContainerDefinition.ImageToRun(spec);
        try
        {
            await docker.Images.InspectImageAsync(image, ct);
            return;
        }
        catch (DockerImageNotFoundException)
        {
        }
        LogPulling(image);
        var (fromImage, tag) = SplitForPull(image);
        await docker.Images.CreateImageAsync(new ImagesCreateParameters { FromImage = fromImage, Tag = tag }, null, new Progress<JSONMessage>(), ct);
    }

    private static (string FromImage, string Tag) SplitForPull(string image)
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

    /// <summary>Frees a container name held by a leftover managed container; refuses to touch anything else.</summary>
    private async Task ClearNameAsync(string name, CancellationToken ct)
    {
        var holders = await docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["name"] = new Dictionary<string, bool> { [$"^/{name}$"] = true } },
        }, ct);
        foreach (var holder in holders)
        {
            if (holder.Labels is null || !holder.Labels.TryGetValue(ManagedLabels.Manager, out var manager) || manager != ManagedLabels.ManagerValue)
            {
                throw new InvalidOperationException($"the container name '{name}' is taken by a container ConOps does not manage ({holder.ID[..12]}); remove or rename it");
            }
            await RemoveAsync(holder.ID, ct);
        }
    }

    private async Task RemoveAsync(string id, CancellationToken ct)
    {
        try
        {
            await docker.Containers.StopContainerAsync(id, StopParameters(), ct);
            await docker.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true, RemoveVolumes = false }, ct);
        }
        catch (DockerContainerNotFoundException)
        {
            // Already gone: that is the goal.
        }
    }

    private ContainerStopParameters StopParameters() =>
        new() { WaitBeforeKillSeconds = (uint)options.Value.StopTimeout.TotalSeconds };

    private async Task ReportAsync(AppDesiredState app, ReconcilePlan plan, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var current = new List<ServiceStatus>();
        foreach (var step in plan.Unchanged.Concat(plan.ToStart).Concat(plan.ToRecreate).Concat(plan.ToCreate))
        {
            current.Add(await StatusForAsync(app, step, ct));
        }
        foreach (var orphan in plan.Orphans)
        {
            current.Add(new ServiceStatus
            {
                App = app.App,
                Service = orphan.Service,
                Sync = SyncStatus.OutOfSync,
                Health = orphan.IsRunning ? HealthStatus.Healthy : HealthStatus.Degraded,
                Reason = "service no longer desired; prune is off, so it is left running",
                ContainerId = orphan.Id,
                Image = orphan.Image,
                ConfigHash = orphan.ConfigHash,
                Revision = orphan.Revision,
            });
            current[^1].DriftedFields.Add("orphan");
        }
        var changed = statuses.Update(app.App, current, now);
        if (changed.Count > 0)
        {
            var report = new StatusReport();
            report.Services.AddRange(changed);
            outbox.Post(new AgentMessage { Status = report });
        }
    }

    private async Task<ServiceStatus> StatusForAsync(AppDesiredState app, PlannedService step, CancellationToken ct)
    {
        var status = new ServiceStatus { App = app.App, Service = step.Name, Image = step.Desired.Spec.Image };
        _lastErrors.TryGetValue((app.App, step.Name), out var lastError);
        var c = step.Current;
        if (c is null)
        {
            status.Sync = SyncStatus.OutOfSync;
            status.Health = HealthStatus.Missing;
            status.DriftedFields.Add("container missing");
            status.Reason = lastError ?? "no container exists for the service";
            return status;
        }

        status.ContainerId = c.Id;
        status.Image = c.Image;
        status.ConfigHash = c.ConfigHash;
        status.Revision = c.Revision;
        if (c.ConfigHash != step.Desired.ConfigHash)
        {
            status.DriftedFields.Add("config hash");
        }
        if (!c.IsRunning)
        {
            status.DriftedFields.Add("state");
        }
        status.Sync = status.DriftedFields.Count == 0 ? SyncStatus.Synced : SyncStatus.OutOfSync;

        if (c.IsRunning)
        {
            status.StartedAt = Timestamp.FromDateTimeOffset(await StartedAtAsync(c.Id, ct));
            status.Health = c.Status.Contains("(unhealthy)", StringComparison.Ordinal) ? HealthStatus.Degraded
                : c.Status.Contains("(health: starting)", StringComparison.Ordinal) ? HealthStatus.Progressing
                : HealthStatus.Healthy;
            status.Reason = status.Sync == SyncStatus.Synced ? "running" : $"running an outdated configuration ({c.Status})";
        }
        else
        {
            _startedAt.Remove(c.Id);
            status.Health = HealthStatus.Degraded;
            status.Reason = $"container {c.State} ({c.Status})";
        }
        if (lastError is not null)
        {
            status.Health = HealthStatus.Degraded;
            status.Reason = $"last apply failed: {lastError}";
        }
        return status;
    }

    private async Task<DateTimeOffset> StartedAtAsync(string id, CancellationToken ct)
    {
        if (!_startedAt.TryGetValue(id, out var startedAt))
        {
            var inspect = await docker.Containers.InspectContainerAsync(id, ct);
            startedAt = DateTimeOffset.TryParse(inspect.State?.StartedAt, System.Globalization.CultureInfo.InvariantCulture, out var parsed) ? parsed : time.GetUtcNow();
            _startedAt[id] = startedAt;
        }
        return startedAt;
    }

    private static string Fingerprint(AppDesiredState app) =>
        app.Revision + "|" + string.Join(",", app.Services.Select(s => s.ConfigHash).Order(StringComparer.Ordinal));

    private static string DockerMessage(DockerApiException ex)
    {
        var body = ex.ResponseBody;
        const string marker = "\"message\":\"";
        var start = body?.IndexOf(marker, StringComparison.Ordinal) ?? -1;
        if (start >= 0)
        {
            start += marker.Length;
            var end = body!.IndexOf('"', start);
            if (end > start)
            {
                return body[start..end];
            }
        }
        return $"{(int)ex.StatusCode} {ex.StatusCode}";
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Reconcile of app {App} failed: {Error}")]
    private partial void LogReconcileFailed(string app, string error, Exception ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "App {App}: applied ({Trigger}), {Steps} step(s), {Failed} failed")]
    private partial void LogApplied(string app, string trigger, int steps, int failed);

    [LoggerMessage(Level = LogLevel.Information, Message = "App {App} service {Service}: {Action} because {Reason}")]
    private partial void LogStep(string app, string service, string action, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "App {App} service {Service}: apply failed: {Error}")]
    private partial void LogStepFailed(string app, string service, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "App {App}: removed container {Container} ({Reason})")]
    private partial void LogRemoved(string app, string container, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pulling image {Image}")]
    private partial void LogPulling(string image);
}
