using ConOps.Contract;

namespace ConOps.Console.Sync;

/// <summary>What happens to one service: <c>add</c>, <c>change</c> (with the fields), <c>remove</c> or <c>unchanged</c>.</summary>
public sealed record ServiceChange(string Service, string Kind, IReadOnlyList<string> Fields, string? DigestBefore, string? DigestAfter);

/// <summary>
/// The difference between what a host runs for an app and a new rendered state, computed from the config hash
/// inputs: the plan shown while a change waits for approval, and the reason of every redeploy.
/// </summary>
public sealed record ChangePlan(IReadOnlyList<ServiceChange> Services, IReadOnlyList<string> AppFields)
{
    public bool HasChanges => AppFields.Count > 0 || Services.Any(s => s.Kind != "unchanged");

    /// <summary>One line, e.g. "web: change (imageDigest); db: add".</summary>
    public string Summary =>
        string.Join("; ", Services.Where(s => s.Kind != "unchanged").Select(s => s.Fields.Count > 0 ? $"{s.Service}: {s.Kind} ({string.Join(", ", s.Fields)})" : $"{s.Service}: {s.Kind}")
            .Concat(AppFields.Select(f => $"app: {f} changed")));

    public static ChangePlan Between(AppDesiredState? before, AppDesiredState after)
    {
        var old = (before?.Services ?? []).ToDictionary(s => s.Spec.Name, StringComparer.Ordinal);
        var changes = new List<ServiceChange>();
        foreach (var service in after.Services.OrderBy(s => s.Spec.Name, StringComparer.Ordinal))
        {
            var name = service.Spec.Name;
            if (!old.Remove(name, out var previous))
            {
                changes.Add(new ServiceChange(name, "add", [], null, Digest(service)));
                continue;
            }
            var fields = previous.ConfigHash == service.ConfigHash ? [] : ConfigHash.ChangedFields(ConfigHash.Inputs(previous.Spec), ConfigHash.Inputs(service.Spec));
            changes.Add(new ServiceChange(name, fields.Count == 0 ? "unchanged" : "change", fields, Digest(previous), Digest(service)));
        }
        foreach (var removed in old.Values.OrderBy(s => s.Spec.Name, StringComparer.Ordinal))
        {
            changes.Add(new ServiceChange(removed.Spec.Name, "remove", [], Digest(removed), null));
        }

        // Everything else of the app (policy, networks, volumes, files), compared as top-level fields.
        var appFields = new List<string>();
        if (before is not null)
        {
            var a = before.Clone();
            var b = after.Clone();
            foreach (var state in new[] { a, b })
            {
                state.Revision = "";
                state.Services.Clear();
                state.RegistryCredentials.Clear();
            }
            appFields.AddRange(ConfigHash.ChangedFields(ConfigHash.Inputs(a), ConfigHash.Inputs(b)));
        }
        return new ChangePlan(changes, appFields);
    }

    /// <summary>True when two states would run the same containers (the revision alone does not count).</summary>
    public static bool SameDeployment(AppDesiredState? a, AppDesiredState? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }
        var x = a.Clone();
        var y = b.Clone();
        x.Revision = y.Revision = "";
        x.RegistryCredentials.Clear();
        y.RegistryCredentials.Clear();
        return x.Equals(y);
    }

    private static string? Digest(DesiredService service) => string.IsNullOrEmpty(service.Spec.ImageDigest) ? null : service.Spec.ImageDigest;
}
