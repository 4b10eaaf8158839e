using System.Text;
using ConOps.Agent.Docker;
using ConOps.Contract;
using ServiceSpec = ConOps.Contract.ServiceSpec;

namespace ConOps.Agent.Reconcile;

/// <summary>A replacement that failed after the old container was touched, and was undone.</summary>
public sealed class RolledBackException(string reason) : Exception($"rolled back: {reason}");

public sealed partial class Reconciler
{
    private async Task<List<ServiceApplyOutcome>> ApplyAsync(AppDesiredState app, ReconcilePlan plan, bool isDeployment, bool force, CancellationToken ct)
    {
        var outcomes = new List<ServiceApplyOutcome>();
        var desiredNames = app.Services.Select(s => s.Spec.Name).ToHashSet(StringComparer.Ordinal);

        foreach (var removal in plan.ToRemove)
        {
            await RemoveAsync(removal.Container.Id, _options.StopTimeout, ct);
            LogRemoved(app.App, removal.Container.Name, removal.Reason);
            if (!desiredNames.Contains(removal.Container.Service) || removal.Container.Number > ReplicasOf(app, removal.Container.Service))
            {
                outcomes.Add(new ServiceApplyOutcome { Service = removal.Container.Service, ConfigHash = removal.Container.ConfigHash, Action = ApplyAction.Removed, Reason = removal.Reason });
            }
        }

        if (plan.Services.Any(s => s.Action != ServiceAction.None))
        {
            try
            {
                _files.Write(app.Files);
                _project.Prepare(app);
                WriteComposeFile(app);
                await _resources.EnsureAsync(app, ct);
            }
            catch (Exception ex) when (ex is EngineException or InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                var message = ex.Message;
                foreach (var verdict in plan.Services.Where(s => s.Action != ServiceAction.None))
                {
                    outcomes.Add(Fail(app, verdict, $"preparing the app failed: {message}", rolledBack: false));
                }
                return outcomes;
            }
        }

        var failed = new HashSet<string>(StringComparer.Ordinal);
        // Services given a new or fresh container (or restarted) in this apply: dependents that ask for it restart.
        var updated = new HashSet<string>(StringComparer.Ordinal);
        foreach (var verdict in plan.Services)
        {
            var canonical = ManagedLabels.ContainerName(app.App, verdict.Desired.Spec, verdict.Number);
            if (verdict.Action == ServiceAction.None)
            {
                if (verdict.Rename is not null)
                {
                    await RenameAsync(verdict.Current!.Id, verdict.Rename, ct);
                    outcomes.Add(new ServiceApplyOutcome { Service = verdict.Name, ConfigHash = verdict.Desired.ConfigHash, Action = ApplyAction.Unchanged, Reason = $"renamed to {verdict.Rename}" });
                }
                if (verdict.Current is { IsRunning: true } running
                    && verdict.Desired.Spec.DependsOn.FirstOrDefault(d => d.Restart && updated.Contains(d.Service)) is { } cause)
                {
                    outcomes.Add(await RestartForDependencyAsync(app, verdict, running, cause.Service, failed, ct));
                    updated.Add(verdict.Name);
                }
                continue;
            }
            if (HashError(verdict.Desired) is { } hashError)
            {
                outcomes.Add(Fail(app, verdict, hashError, rolledBack: false));
                failed.Add(verdict.Name);
                continue;
            }
            var key = (app.App, verdict.Key);
            var now = _time.GetUtcNow();
            if (!force && _failures.TryGetValue(key, out var failure) && failure.Hash == verdict.Desired.ConfigHash
                && failure.Target == Target(verdict) && failure.RetryAt > now)
            {
                // The same change failed moments ago: wait for its backoff instead of retrying in a hot loop.
                failed.Add(verdict.Name);
                continue;
            }
            var selfHealing = !isDeployment && verdict.Action is ServiceAction.Start or ServiceAction.Create;
            if (selfHealing && _flaps.BlockedUntil(app.App, verdict.Key) is { } until)
            {
                ScheduleRetry(app.App, until);
                continue;
            }

            var outcome = new ServiceApplyOutcome
            {
                Service = verdict.Name,
                ConfigHash = verdict.Desired.ConfigHash,
                Reason = ReplicaReason(verdict),
                Action = verdict.Action switch
                {
                    ServiceAction.Create => ApplyAction.Created,
                    ServiceAction.Start => ApplyAction.Started,
                    _ => ApplyAction.Recreated,
                },
            };
            try
            {
                LogStep(app.App, verdict.Name, verdict.Action.ToString(), verdict.Reason);
                await WaitForDependenciesAsync(app, verdict.Desired.Spec, failed, ct);
                switch (verdict.Action)
                {
                    case ServiceAction.Create:
                        await CreateAndStartAsync(app, verdict.Desired, canonical, verdict.Number, ct);
                        break;
                    case ServiceAction.Start:
                        await StartAsync(verdict.Current!, ct);
                        if (verdict.Rename is not null)
                        {
                            await RenameAsync(verdict.Current!.Id, verdict.Rename, ct);
                        }
                        break;
                    case ServiceAction.Recreate:
                        await ReplaceAsync(app, verdict, canonical, ct);
                        break;
                }
                _failures.Remove(key);
                if (verdict.Action is ServiceAction.Recreate or ServiceAction.Create)
                {
                    updated.Add(verdict.Name);
                }
                if (selfHealing)
                {
                    _flaps.RecordRestart(app.App, verdict.Key);
                }
                else
                {
                    _flaps.Reset(app.App, verdict.Key);
                }
                outcomes.Add(outcome);
            }
            catch (EngineException ex) when (ex.IsNotFound && verdict.Action == ServiceAction.Start)
            {
                // Removed while we looked at it: the destroy event brings a reconcile that recreates it.
                Enqueue(app.App);
            }
            catch (Exception ex) when (ex is EngineException or ImagePullException or RolledBackException or InvalidOperationException or ArgumentException or TimeoutException or HttpRequestException)
            {
                var message = ex.Message;
                outcomes.Add(Fail(app, verdict, message, ex is RolledBackException));
                failed.Add(verdict.Name);
            }
        }
        return outcomes;
    }

    /// <summary>
    /// depends_on with <c>restart: true</c>: a running dependent is restarted (gracefully) once the dependency it
    /// names got a new container in this apply, after the dependency meets its condition again.
    /// </summary>
    private async Task<ServiceApplyOutcome> RestartForDependencyAsync(AppDesiredState app, ServiceVerdict verdict, ObservedContainer running, string dependency, HashSet<string> failed, CancellationToken ct)
    {
        var reason = $"restarted because its dependency {dependency} was updated (depends_on restart: true)";
        try
        {
            LogStep(app.App, verdict.Name, "Restart", reason);
            await WaitForDependenciesAsync(app, verdict.Desired.Spec, failed, ct);
            var grace = verdict.Desired.Spec.StopGracePeriod?.ToTimeSpan() ?? _options.StopTimeout;
            await _engine.RestartContainerAsync(running.Id, grace, ct);
            return new ServiceApplyOutcome
            {
                Service = verdict.Name,
                ConfigHash = verdict.Desired.ConfigHash,
                Action = ApplyAction.Started,
                Reason = ManagedLabels.Replicas(verdict.Desired.Spec) > 1 ? $"replica {verdict.Number}: {reason}" : reason,
            };
        }
        catch (Exception ex) when (ex is EngineException or InvalidOperationException or TimeoutException)
        {
            var message = ex.Message;
            LogRestartFailed(app.App, verdict.Name, dependency, message);
            return new ServiceApplyOutcome
            {
                Service = verdict.Name,
                ConfigHash = verdict.Desired.ConfigHash,
                Action = ApplyAction.Failed,
                Error = $"restart after {dependency} was updated failed: {message}",
                Reason = reason,
            };
        }
    }

    /// <summary>The verdict's reason, naming the replica when the service scales.</summary>
    private static string ReplicaReason(ServiceVerdict verdict) =>
        ManagedLabels.Replicas(verdict.Desired.Spec) > 1 ? $"replica {verdict.Number}: {verdict.Reason}" : verdict.Reason;

    /// <summary>One outcome per service, as the console records releases: a scaled service's replicas folded.</summary>
    private static IEnumerable<ServiceApplyOutcome> FoldOutcomes(IEnumerable<ServiceApplyOutcome> outcomes) =>
        outcomes.GroupBy(o => o.Service, StringComparer.Ordinal).Select(group =>
        {
            var all = group.ToList();
            if (all.Count == 1)
            {
                return all[0];
            }
            var worst = all.MaxBy(o => ActionRank(o.Action))!.Clone();
            worst.Reason = string.Join("; ", all.Select(o => o.Reason).Where(r => r.Length > 0));
            worst.Error = string.Join("; ", all.Select(o => o.Error).Where(e => e.Length > 0));
            worst.RolledBack = all.Any(o => o.RolledBack);
            return worst;
        });

    private static int ActionRank(ApplyAction action) => action switch
    {
        ApplyAction.Failed => 5,
        ApplyAction.Recreated => 4,
        ApplyAction.Created => 3,
        ApplyAction.Removed => 2,
        ApplyAction.Started => 1,
        _ => 0,
    };

    private static int ReplicasOf(AppDesiredState app, string service) =>
        app.Services.FirstOrDefault(s => s.Spec.Name == service) is { } desired ? ManagedLabels.Replicas(desired.Spec) : 0;

    private ServiceApplyOutcome Fail(AppDesiredState app, ServiceVerdict verdict, string message, bool rolledBack)
    {
        var key = (app.App, verdict.Key);
        var target = Target(verdict);
        var attempts = _failures.TryGetValue(key, out var previous) && previous.Hash == verdict.Desired.ConfigHash && previous.Target == target ? previous.Attempts + 1 : 1;
        var delay = TimeSpan.FromTicks(Math.Min(_options.FlapMaxDelay.Ticks, _options.RetryBaseDelay.Ticks * (1L << Math.Min(attempts - 1, 16))));
        var retryAt = _time.GetUtcNow() + delay;
        _failures[key] = new ApplyFailure(verdict.Desired.ConfigHash, target, message, attempts, retryAt, rolledBack);
        ScheduleRetry(app.App, retryAt);
        LogStepFailed(app.App, verdict.Name, message, delay.TotalSeconds);
        return new ServiceApplyOutcome
        {
            Service = verdict.Name,
            ConfigHash = verdict.Desired.ConfigHash,
            Action = ApplyAction.Failed,
            Error = message,
            Reason = ReplicaReason(verdict),
            RolledBack = rolledBack,
        };
    }

    /// <summary>What a failure was about: a different action or container is a new attempt, not a retry.</summary>
    private static string Target(ServiceVerdict verdict) => $"{verdict.Action}:{verdict.Current?.Id}";

    private void ScheduleRetry(string app, DateTimeOffset at)
    {
        var delay = at - _time.GetUtcNow();
        _ = Task.Delay(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, _time).ContinueWith(_ => Enqueue(app), TaskScheduler.Default);
    }

    private async Task CreateAndStartAsync(AppDesiredState app, DesiredService service, string name, int number, CancellationToken ct)
    {
        await PullAsync(app, service.Spec, ct);
        await ClearNameAsync(name, ct);
        var id = await CreateAsync(app, service, name, number, ct);
        await _engine.StartContainerAsync(id, ct);
    }

    private async Task PullAsync(AppDesiredState app, ServiceSpec spec, CancellationToken ct)
    {
        var warning = await _images.EnsureAsync(app, spec, ct);
        if (warning is null)
        {
            _warnings.Remove((app.App, spec.Name));
        }
        else
        {
            _warnings[(app.App, spec.Name)] = warning;
        }
    }

    private async Task<string> CreateAsync(AppDesiredState app, DesiredService service, string name, int number, CancellationToken ct)
    {
        var definition = ContainerDefinition.For(app, service, name, number, _files.Locate, _project.Root(app.App), ComposeFile(app.App));
        var created = await _engine.CreateContainerAsync(definition, ct);
        foreach (var (network, settings) in ContainerDefinition.Endpoints(app, service.Spec).Skip(1))
        {
            await _engine.ConnectNetworkAsync(network, new NetworkConnectRequest { Container = created.Id, EndpointConfig = settings }, ct);
        }
        return created.Id;
    }

    private async Task StartAsync(ObservedContainer container, CancellationToken ct)
    {
        if (container.State == "paused")
        {
            await _engine.UnpauseContainerAsync(container.Id, ct);
            return;
        }
        await _engine.StartContainerAsync(container.Id, ct);
    }

    /// <summary>
    /// Replaces a container without losing it on failure: pull first (a failed pull leaves the old one
    /// running), create the new one beside it, stop the old only when it holds a host port, start the new,
    /// let it prove itself through the stabilization window (healthy, when it has a healthcheck), and only
    /// then remove the old. Any failure after the old one was touched removes the new one and restores the old.
    /// </summary>
    private async Task ReplaceAsync(AppDesiredState app, ServiceVerdict verdict, string name, CancellationToken ct)
    {
        var old = verdict.Current!;
        await PullAsync(app, verdict.Desired.Spec, ct);
        var nextName = name + "-next";
        await ClearNameAsync(nextName, ct);
        var newId = await CreateAsync(app, verdict.Desired, nextName, verdict.Number, ct);

        var oldInspect = await _engine.InspectContainerAsync(old.Id, ct);
        var oldGrace = oldInspect.Config?.StopTimeout is { } seconds ? TimeSpan.FromSeconds(seconds) : _options.StopTimeout;
        var holdsPort = oldInspect.HostConfig?.PortBindings?.Values.Any(b => b?.Any(p => !string.IsNullOrEmpty(p.HostPort)) == true) == true;
        if (old.IsRunning && holdsPort)
        {
            await _engine.StopContainerAsync(old.Id, oldGrace, ct);
        }

        string? problem;
        try
        {
            await _engine.StartContainerAsync(newId, ct);
            await ReportReplacementAsync(app, verdict, newId, proven: false, ct);
            problem = await StabilizeAsync(newId, ct);
        }
        catch (EngineException ex)
        {
            problem = $"the new container did not start: {ex.Message}";
        }

        if (problem is not null)
        {
            await RemoveAsync(newId, TimeSpan.FromSeconds(1), ct);
            if (old.IsRunning)
            {
                await _engine.StartContainerAsync(old.Id, ct);
            }
            throw new RolledBackException(problem);
        }

        try
        {
            await ReportReplacementAsync(app, verdict, newId, proven: true, ct);
        }
        catch (EngineException)
        {
            // Only the early report is lost; the report after the apply says what is there.
        }
        await RemoveAsync(old.Id, oldGrace, ct);
        await RenameAsync(newId, name, ct);
    }

    /// <summary>Null when the new container stays up through the window (and turns healthy if it has a healthcheck); else why not.</summary>
    private async Task<string?> StabilizeAsync(string id, CancellationToken ct)
    {
        var started = _time.GetUtcNow();
        while (true)
        {
            var inspect = await _engine.InspectContainerAsync(id, ct);
            var state = inspect.State;
            if (state is null || !state.Running)
            {
                return state?.OOMKilled == true
                    ? "the new container was OOM-killed right after start"
                    : $"the new container exited with code {state?.ExitCode} within the stabilization window";
            }
            var elapsed = _time.GetUtcNow() - started;
            switch (state.Health?.Status)
            {
                case "healthy":
                    return null;
                case "unhealthy":
                    var last = state.Health.Log?.LastOrDefault()?.Output?.Trim();
                    return $"the new container became unhealthy{(string.IsNullOrEmpty(last) ? "" : $": {last}")}";
                case "starting":
                    if (elapsed > _options.HealthyTimeout)
                    {
                        return $"the new container did not become healthy within {_options.HealthyTimeout.TotalSeconds:0} s";
                    }
                    break;
                default:
                    if (elapsed >= _options.StabilizationWindow)
                    {
                        return null;
                    }
                    break;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), _time, ct);
        }
    }

    /// <summary>Waits until every dependency meets its depends_on condition; fails fast when one cannot.</summary>
    private async Task WaitForDependenciesAsync(AppDesiredState app, ServiceSpec spec, HashSet<string> failed, CancellationToken ct)
    {
        var byName = app.Services.ToDictionary(s => s.Spec.Name, StringComparer.Ordinal);
        foreach (var dep in spec.DependsOn)
        {
            if (!byName.TryGetValue(dep.Service, out var depService))
            {
                continue;
            }
            if (failed.Contains(dep.Service))
            {
                throw new InvalidOperationException($"dependency {dep.Service} failed to apply");
            }
            var deadline = _time.GetUtcNow() + _options.DependencyTimeout;
            var condition = string.IsNullOrEmpty(dep.Condition) ? "service_started" : dep.Condition;
            var replicas = ManagedLabels.Replicas(depService.Spec);
            // A scaled dependency is ready when every one of its replicas is, as with Compose.
            for (var number = 1; number <= replicas; number++)
            {
                var which = replicas > 1 ? $"{dep.Service} (replica {number})" : dep.Service;
                while (true)
                {
                    var verdict = await DependencyMetAsync(ManagedLabels.ContainerName(app.App, depService.Spec, number), condition, ct);
                    if (verdict == "")
                    {
                        break;
                    }
                    if (verdict.StartsWith('!'))
                    {
                        throw new InvalidOperationException($"dependency {which} {verdict[1..]}");
                    }
                    if (_time.GetUtcNow() > deadline)
                    {
                        throw new TimeoutException($"dependency {which} {verdict} after {_options.DependencyTimeout.TotalSeconds:0} s ({condition})");
                    }
                    await Task.Delay(TimeSpan.FromMilliseconds(250), _time, ct);
                }
            }
        }
    }

    /// <summary>"" when met, "!why" when it never will be, otherwise what is still awaited.</summary>
    private async Task<string> DependencyMetAsync(string container, string condition, CancellationToken ct)
    {
        ContainerInspectResponse inspect;
        try
        {
            inspect = await _engine.InspectContainerAsync(container, ct);
        }
        catch (EngineException ex) when (ex.IsNotFound)
        {
            return "has no container yet";
        }
        var state = inspect.State;
        var exited = state?.Status is "exited" or "dead";
        return condition switch
        {
            "service_completed_successfully" when exited && state!.ExitCode == 0 => "",
            "service_completed_successfully" when exited => $"!did not complete successfully (exit code {state!.ExitCode})",
            "service_completed_successfully" => "has not completed yet",
            "service_healthy" when state?.Health?.Status == "healthy" => "",
            "service_healthy" when state?.Health is null && state?.Running == true => "",
            "service_healthy" when exited => $"!exited with code {state!.ExitCode} instead of becoming healthy",
            "service_healthy" => "is not healthy yet",
            _ when state?.Running == true => "",
            _ => "is not running yet",
        };
    }

    /// <summary>Frees a container name held by a leftover managed container; refuses to touch anything else.</summary>
    private async Task ClearNameAsync(string name, CancellationToken ct)
    {
        var holders = await _engine.ListContainersNamedAsync($"^/{name}$", ct);
        foreach (var holder in holders)
        {
            if (holder.Labels is null || !holder.Labels.TryGetValue(ManagedLabels.Manager, out var manager) || manager != ManagedLabels.ManagerValue)
            {
                throw new InvalidOperationException($"the container name '{name}' is taken by a container ConOps does not manage ({holder.Id[..12]}); remove or rename it");
            }
            await RemoveAsync(holder.Id, TimeSpan.FromSeconds(1), ct);
        }
    }

    private async Task RenameAsync(string id, string name, CancellationToken ct)
    {
        await ClearNameAsync(name, ct);
        await _engine.RenameContainerAsync(id, name, ct);
    }

    private async Task RemoveAsync(string id, TimeSpan stopTimeout, CancellationToken ct)
    {
        try
        {
            await _engine.StopContainerAsync(id, stopTimeout, ct);
            await _engine.RemoveContainerAsync(id, ct);
        }
        catch (EngineException ex) when (ex.IsNotFound)
        {
            // Already gone: that is the goal.
        }
        _cache.Invalidate(id);
    }

    /// <summary>
    /// Compose v1 needs a project file to list a project's containers; this one names the services and images
    /// only (ConOps, not Compose, runs them), so <c>docker-compose -p app -f FILE ps</c> and <c>logs</c> work.
    /// </summary>
    private void WriteComposeFile(AppDesiredState app)
    {
        var text = new StringBuilder("# Written by the ConOps agent so Docker Compose can list and tail this app; ConOps manages the containers.\n");
        text.Append("version: \"3.8\"\nservices:\n");
        foreach (var service in app.Services.OrderBy(s => s.Spec.Name, StringComparer.Ordinal))
        {
            text.Append("  ").Append(Quote(service.Spec.Name)).Append(":\n");
            text.Append("    image: ").Append(Quote(ContainerDefinition.ImageToRun(service.Spec))).Append('\n');
            if (!string.IsNullOrEmpty(service.Spec.ContainerName))
            {
                text.Append("    container_name: ").Append(Quote(service.Spec.ContainerName)).Append('\n');
            }
        }
        var path = ComposeFile(app.App);
        var content = text.ToString();
        if (File.Exists(path) && File.ReadAllText(path) == content)
        {
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
