using ConOps.Agent.Docker;
using ConOps.Contract;
using ServiceStatus = ConOps.Contract.ServiceStatus;

namespace ConOps.Agent.Reconcile;

public sealed partial class Reconciler
{
    /// <summary>
    /// Apps gone from desired state entirely, on the full pass: their managed containers (and networks) are
    /// removed when the app's last policy pruned, otherwise every container is reported as an orphan. An app the
    /// agent never saw desired (its last policy is unknown) is only reported. Returns the apps still reported.
    /// </summary>
    private async Task<IReadOnlySet<string>> ReconcileRemovedAppsAsync(DesiredState state, CancellationToken ct)
    {
        var desired = state.Apps.Select(a => a.App).ToHashSet(StringComparer.Ordinal);
        var containers = await _engine.ListContainersAsync([ManagedLabels.ManagedFilter], ct);
        var reported = new HashSet<string>(StringComparer.Ordinal);
        var now = _time.GetUtcNow();
        foreach (var group in containers.Select(ObservedContainer.From).Where(c => c.App.Length > 0 && !desired.Contains(c.App)).GroupBy(c => c.App, StringComparer.Ordinal))
        {
            var policy = _desired.RemovedPolicy(group.Key);
            if (policy?.Prune == true)
            {
                await PruneRemovedAppAsync(group.Key, [.. group], ct);
                continue;
            }
            reported.Add(group.Key);
            var orphans = group.GroupBy(c => c.Service, StringComparer.Ordinal).Select(service =>
            {
                var first = service.OrderBy(c => c.Number).First();
                var status = new ServiceStatus
                {
                    App = group.Key,
                    Service = service.Key,
                    Sync = SyncStatus.OutOfSync,
                    Health = service.All(c => c.IsRunning) ? HealthStatus.Healthy : HealthStatus.Degraded,
                    Reason = policy is null
                        ? "orphan: the app is not desired on this host and its last policy is unknown, so its containers are left as they are"
                        : "orphan: the app is no longer desired on this host; its last policy did not prune, so its containers are left as they are",
                    ContainerId = first.Id,
                    Image = first.Image,
                    ConfigHash = first.ConfigHash,
                    Revision = first.Revision,
                };
                status.DriftedFields.Add("orphan");
                return status;
            }).ToList();
            var changed = _statuses.Update(group.Key, orphans, now);
            if (changed.Count > 0)
            {
                _outbox.Post(new AgentMessage { Status = new StatusReport { Services = { changed } } });
            }
        }
        var present = containers.Select(c => ObservedContainer.From(c).App).ToHashSet(StringComparer.Ordinal);
        foreach (var app in _desired.RemovedApps().Where(a => !present.Contains(a)))
        {
            _desired.ForgetRemoved(app); // nothing of it is left
        }
        return reported;
    }

    private async Task PruneRemovedAppAsync(string app, IReadOnlyList<ObservedContainer> containers, CancellationToken ct)
    {
        foreach (var container in containers.OrderByDescending(c => c.Number))
        {
            try
            {
                await RemoveAsync(container.Id, _options.StopTimeout, ct);
                LogRemoved(app, container.Name, "the app is no longer desired on this host (prune)");
            }
            catch (EngineException ex)
            {
                // Tried again on the next full pass; the app stays remembered until nothing of it is left.
                LogRemovedAppPruneFailed(app, container.Name, ex.Message);
            }
        }
        await RemoveAppNetworksAsync(app, ct);
    }

    /// <summary>An app's networks (as <c>docker compose down</c> removes them); volumes hold data and stay.</summary>
    private async Task RemoveAppNetworksAsync(string app, CancellationToken ct)
    {
        var networks = await _engine.ListNetworksAsync([ManagedLabels.ManagedFilter, $"{ManagedLabels.App}={app}"], ct);
        foreach (var network in networks)
        {
            try
            {
                await _engine.DeleteNetworkAsync(network.Id, ct);
            }
            catch (EngineException ex)
            {
                LogRemovedAppPruneFailed(app, network.Name, ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "App {App} (no longer desired): could not remove {Object}: {Error}")]
    private partial void LogRemovedAppPruneFailed(string app, string @object, string error);
}
