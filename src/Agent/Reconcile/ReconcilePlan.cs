using ConOps.Agent.Docker;
using ConOps.Contract;

namespace ConOps.Agent.Reconcile;

/// <summary>What the plan does with one service.</summary>
public enum ServiceAction
{
    /// <summary>In sync (or completed, or restarting under the engine's own policy): leave it.</summary>
    None,

    /// <summary>No container: create and start one.</summary>
    Create,

    /// <summary>The container differs from desired: replace it (safely, with rollback).</summary>
    Recreate,

    /// <summary>The container is right but not running: start it.</summary>
    Start,
}

/// <summary>One desired service, what is there for it, and what to do about it, with the drifted fields named.</summary>
public sealed record ServiceVerdict(
    DesiredService Desired,
    ObservedContainer? Current,
    ServiceAction Action,
    IReadOnlyList<string> DriftedFields,
    string Reason)
{
    public string Name => Desired.Spec.Name;

    /// <summary>Which replica of the service this is (1 unless the service scales).</summary>
    public int Number { get; init; } = 1;

    /// <summary>The service, or its replica when it scales: what failures and restarts are counted by.</summary>
    public string Key => Number == 1 ? Name : $"{Name}#{Number}";

    /// <summary>True when the container exited as a one-shot dependency is meant to: not drift.</summary>
    public bool Completed { get; init; }

    /// <summary>The name the kept container must get (an interrupted replace left it under its temporary name).</summary>
    public string? Rename { get; init; }
}

/// <summary>A container the plan removes, and why.</summary>
public sealed record PlannedRemoval(ObservedContainer Container, string Reason);

/// <summary>
/// What must happen to make one app's live containers match its desired state. Computed without touching
/// the engine, so it can be shown before it is applied and tested from golden files.
/// </summary>
/// <param name="App">The app (compose project) planned.</param>
/// <param name="Services">Every desired service in dependency order (a service after those it depends on).</param>
/// <param name="ToRemove">Duplicates and (with prune on) containers of services no longer desired.</param>
/// <param name="Orphans">Containers of services no longer desired, left alone because prune is off.</param>
/// <param name="Problems">Desired-state errors the user must fix (a dependency cycle, an unknown dependency).</param>
public sealed record ReconcilePlan(
    string App,
    IReadOnlyList<ServiceVerdict> Services,
    IReadOnlyList<PlannedRemoval> ToRemove,
    IReadOnlyList<ObservedContainer> Orphans,
    IReadOnlyList<string> Problems)
{
    public bool HasChanges => ToRemove.Count > 0 || Services.Any(s => s.Action != ServiceAction.None || s.Rename is not null);

    public IEnumerable<ServiceVerdict> ToCreate => Services.Where(s => s.Action == ServiceAction.Create);

    public IEnumerable<ServiceVerdict> ToRecreate => Services.Where(s => s.Action == ServiceAction.Recreate);

    public IEnumerable<ServiceVerdict> ToStart => Services.Where(s => s.Action == ServiceAction.Start);

    public IEnumerable<ServiceVerdict> Unchanged => Services.Where(s => s.Action == ServiceAction.None);

    /// <summary>
    /// Plans one app. <paramref name="observed"/> holds every managed container labelled with the app,
    /// including leftovers of an interrupted apply.
    /// </summary>
    public static ReconcilePlan For(AppDesiredState app, IReadOnlyList<ObservedContainer> observed, bool force)
    {
        var verdicts = new List<ServiceVerdict>();
        var remove = new List<PlannedRemoval>();
        var orphans = new List<ObservedContainer>();
        var (order, problems) = DependencyOrder(app);

        var byService = observed.Where(c => c.App == app.App).ToLookup(c => c.Service, StringComparer.Ordinal);
        var oneShots = app.Services
            .SelectMany(s => s.Spec.DependsOn)
            .Where(d => d.Condition == "service_completed_successfully")
            .Select(d => d.Service)
            .ToHashSet(StringComparer.Ordinal);

        foreach (var desired in order)
        {
            var replicas = ManagedLabels.Replicas(desired.Spec);
            var containers = byService[desired.Spec.Name].ToList();
            foreach (var surplus in containers.Where(c => c.Number > replicas).OrderByDescending(c => c.Number).ThenBy(c => c.Name, StringComparer.Ordinal))
            {
                remove.Add(new PlannedRemoval(surplus, $"scaled down to {replicas} replica{(replicas == 1 ? "" : "s")}"));
            }
            for (var number = 1; number <= replicas; number++)
            {
                var candidates = containers.Where(c => c.Number == number).ToList();
                var canonical = ManagedLabels.ContainerName(app.App, desired.Spec, number);
                var keep = PickKeeper(candidates, desired, canonical);
                foreach (var extra in candidates.Where(c => c != keep))
                {
                    remove.Add(new PlannedRemoval(extra, "duplicate container for the service (left over from an interrupted apply)"));
                }
                var verdict = Judge(desired, keep, force, oneShots.Contains(desired.Spec.Name)) with { Number = number };
                if (verdict.Action is ServiceAction.None or ServiceAction.Start && keep is not null && keep.Name != canonical)
                {
                    verdict = verdict with { DriftedFields = [.. verdict.DriftedFields, "container name"], Rename = canonical };
                }
                verdicts.Add(verdict);
            }
        }

        var desiredNames = app.Services.Select(s => s.Spec.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var leftover in observed.Where(c => c.App == app.App && !desiredNames.Contains(c.Service)).OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            if (app.Policy?.Prune == true)
            {
                remove.Add(new PlannedRemoval(leftover, "service no longer desired (prune)"));
            }
            else
            {
                orphans.Add(leftover);
            }
        }

        return new ReconcilePlan(app.App, verdicts, remove, orphans, problems);
    }

    private static ServiceVerdict Judge(DesiredService desired, ObservedContainer? current, bool force, bool oneShot)
    {
        if (current is null)
        {
            return new ServiceVerdict(desired, null, ServiceAction.Create, ["container missing"], "container missing");
        }
        if (force)
        {
            return new ServiceVerdict(desired, current, ServiceAction.Recreate, [], "forced sync");
        }
        if (!SameConfig(current, desired))
        {
            var changed = ConfigInputs.Changed(current.ConfigInputs, desired.Spec);
            var fields = changed.Count > 0 ? changed : ["config hash"];
            return new ServiceVerdict(desired, current, ServiceAction.Recreate, fields,
                $"config hash changed ({string.Join(", ", fields)})");
        }
        if (current.LiveDrift.Count > 0)
        {
            IReadOnlyList<string> fields = current.IsRunning ? current.LiveDrift : [.. current.LiveDrift, "not running"];
            return new ServiceVerdict(desired, current, ServiceAction.Recreate, fields,
                $"changed outside ConOps ({string.Join(", ", current.LiveDrift)})");
        }
        if (current.IsRunning)
        {
            return new ServiceVerdict(desired, current, ServiceAction.None, [], "in sync");
        }
        if (oneShot && current.State == "exited" && current.ExitCode == 0)
        {
            return new ServiceVerdict(desired, current, ServiceAction.None, [], "completed successfully") { Completed = true };
        }
        if (current.State == "removing")
        {
            // Someone is removing it; the engine's destroy event brings the next reconcile, which recreates it.
            return new ServiceVerdict(desired, current, ServiceAction.None, ["not running"], "container is being removed");
        }
        if (current.State == "restarting")
        {
            // The engine's restart policy is already at work; starting it too would fight it.
            return new ServiceVerdict(desired, current, ServiceAction.None, ["not running"], $"restarting ({current.Status})");
        }
        return new ServiceVerdict(desired, current, ServiceAction.Start, ["not running"], NotRunningReason(current));
    }

    /// <summary>Why a container is not running, in the words an operator would use.</summary>
    public static string NotRunningReason(ObservedContainer c) => c.State switch
    {
        "exited" when c.OomKilled => $"container was OOM-killed (exit code {c.ExitCode})",
        "exited" => $"container exited with code {c.ExitCode}",
        "created" => "container created but never started",
        "paused" => "container paused",
        "dead" => "container dead",
        _ => $"container {c.State} ({c.Status})",
    };

    /// <summary>
    /// Services ordered so each comes after the services it depends on (Kahn's algorithm, ties by name so the
    /// order is stable). A cycle or an unknown required dependency is reported, and the services involved
    /// still get planned (by name) rather than dropped.
    /// </summary>
    public static (IReadOnlyList<DesiredService> Order, IReadOnlyList<string> Problems) DependencyOrder(AppDesiredState app)
    {
        var byName = app.Services.ToDictionary(s => s.Spec.Name, StringComparer.Ordinal);
        var problems = new List<string>();
        var pending = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var service in app.Services)
        {
            var deps = new HashSet<string>(StringComparer.Ordinal);
            foreach (var dep in service.Spec.DependsOn)
            {
                if (byName.ContainsKey(dep.Service))
                {
                    deps.Add(dep.Service);
                }
                else if (dep.Required)
                {
                    problems.Add($"service {service.Spec.Name} depends on {dep.Service}, which the app does not define");
                }
            }
            if (!string.IsNullOrEmpty(service.Spec.NetworkMode) && service.Spec.NetworkMode.StartsWith("service:", StringComparison.Ordinal)
                && byName.ContainsKey(service.Spec.NetworkMode[8..]))
            {
                deps.Add(service.Spec.NetworkMode[8..]);
            }
            pending[service.Spec.Name] = deps;
        }

        var order = new List<DesiredService>();
        var ready = new SortedSet<string>(pending.Where(p => p.Value.Count == 0).Select(p => p.Key), StringComparer.Ordinal);
        while (ready.Count > 0)
        {
            var next = ready.Min!;
            ready.Remove(next);
            pending.Remove(next);
            order.Add(byName[next]);
            foreach (var (name, deps) in pending)
            {
                if (deps.Remove(next) && deps.Count == 0)
                {
                    ready.Add(name);
                }
            }
        }
        if (pending.Count > 0)
        {
            problems.Add($"dependency cycle between services {string.Join(", ", pending.Keys.Order(StringComparer.Ordinal))}");
            order.AddRange(pending.Keys.Order(StringComparer.Ordinal).Select(n => byName[n]));
        }
        return (order, problems);
    }

    /// <summary>
    /// True when the container was created from the desired configuration: the same hash, or one that differs
    /// only in the number of replicas (scaling keeps the replicas that stay, as Compose does).
    /// </summary>
    public static bool SameConfig(ObservedContainer container, DesiredService desired) =>
        container.ConfigHash == desired.ConfigHash
        || (container.ConfigInputs.Length > 0 && ConfigInputs.Changed(container.ConfigInputs, DesiredInputs(desired)) is ["scale"]);

    // The desired inputs label, computed once per received spec (only needed when a hash differs).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<DesiredService, string> Inputs = [];

    private static string DesiredInputs(DesiredService desired) => Inputs.GetValue(desired, d => ConfigInputs.Label(d.Spec));

    /// <summary>
    /// Among containers of one replica prefer, in order: the desired configuration, running, the canonical name.
    /// Anything else is a duplicate.
    /// </summary>
    private static ObservedContainer? PickKeeper(List<ObservedContainer> candidates, DesiredService desired, string canonicalName) =>
        candidates
            .OrderByDescending(c => SameConfig(c, desired))
            .ThenByDescending(c => c.IsRunning)
            .ThenByDescending(c => c.Name == canonicalName)
            .ThenBy(c => c.Id, StringComparer.Ordinal)
            .FirstOrDefault();
}
