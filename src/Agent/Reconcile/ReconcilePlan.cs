using ConOps.Agent.Docker;
using ConOps.Contract;

namespace ConOps.Agent.Reconcile;

/// <summary>One service the plan acts on, and why.</summary>
public sealed record PlannedService(DesiredService Desired, ObservedContainer? Current, string Reason)
{
    public string Name => Desired.Spec.Name;
}

/// <summary>A container the plan removes, and why.</summary>
public sealed record PlannedRemoval(ObservedContainer Container, string Reason);

/// <summary>
/// What must happen to make one app's live containers match its desired state. Computed without touching
/// the engine, so it can be shown before it is applied and tested from golden files.
/// </summary>
public sealed record ReconcilePlan(
    string App,
    IReadOnlyList<PlannedService> ToCreate,
    IReadOnlyList<PlannedService> ToRecreate,
    IReadOnlyList<PlannedService> ToStart,
    IReadOnlyList<PlannedRemoval> ToRemove,
    IReadOnlyList<PlannedService> Unchanged,
    IReadOnlyList<ObservedContainer> Orphans)
{
    public bool HasChanges => ToCreate.Count + ToRecreate.Count + ToStart.Count + ToRemove.Count > 0;

    /// <summary>
    /// Plans one app. <paramref name="observed"/> holds every managed container labelled with the app,
    /// including leftovers of an interrupted apply.
    /// </summary>
    public static ReconcilePlan For(AppDesiredState app, IReadOnlyList<ObservedContainer> observed, bool force)
    {
        List<PlannedService> create = [], recreate = [], start = [], unchanged = [];
        List<PlannedRemoval> remove = [];
        List<ObservedContainer> orphans = [];

        var byService = observed.Where(c => c.App == app.App).ToLookup(c => c.Service, StringComparer.Ordinal);
        var desiredNames = app.Services.Select(s => s.Spec.Name).ToHashSet(StringComparer.Ordinal);

        foreach (var desired in app.Services.OrderBy(s => s.Spec.Name, StringComparer.Ordinal))
        {
            var candidates = byService[desired.Spec.Name].ToList();
            var keep = PickKeeper(candidates, desired.ConfigHash, ManagedLabels.ContainerName(app.App, desired.Spec.Name));
            foreach (var extra in candidates.Where(c => c != keep))
            {
                remove.Add(new PlannedRemoval(extra, "duplicate container for the service (left over from an interrupted apply)"));
            }

            if (keep is null)
            {
                create.Add(new PlannedService(desired, null, "container missing"));
            }
            else if (force)
            {
                recreate.Add(new PlannedService(desired, keep, "forced sync"));
            }
            else if (keep.ConfigHash != desired.ConfigHash)
            {
                recreate.Add(new PlannedService(desired, keep, $"config hash changed ({Short(keep.ConfigHash)} -> {Short(desired.ConfigHash)})"));
            }
            else if (!keep.IsRunning)
            {
                start.Add(new PlannedService(desired, keep, $"container {keep.State}"));
            }
            else
            {
                unchanged.Add(new PlannedService(desired, keep, "in sync"));
            }
        }

        foreach (var leftover in observed.Where(c => c.App == app.App && !desiredNames.Contains(c.Service)))
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

        return new ReconcilePlan(app.App, create, recreate, start, remove, unchanged, orphans);
    }

    /// <summary>
    /// Among containers of one service prefer, in order: the desired hash, running, the canonical name.
    /// Anything else is a duplicate.
    /// </summary>
    private static ObservedContainer? PickKeeper(List<ObservedContainer> candidates, string desiredHash, string canonicalName) =>
        candidates
            .OrderByDescending(c => c.ConfigHash == desiredHash)
            .ThenByDescending(c => c.IsRunning)
            .ThenByDescending(c => c.Name == canonicalName)
            .ThenBy(c => c.Id, StringComparer.Ordinal)
            .FirstOrDefault();

    private static string Short(string hash) => hash.Length > 18 ? hash[..18] : hash;
}
