using ConOps.Console.Api;

namespace ConOps.Console.Components.Pages;

/// <summary>What the fleet page shows: search text and one optional value per facet.</summary>
public sealed record FleetFilter(string? Search = null, string? Host = null, string? App = null, string? Sync = null, string? Health = null)
{
    public bool IsEmpty => string.IsNullOrWhiteSpace(Search) && Host is null && App is null && Sync is null && Health is null;

    public bool Matches(ServiceDto row) =>
        (Host is null || row.Host == Host)
        && (App is null || row.App == App)
        && (Sync is null || row.Sync == Sync)
        && (Health is null || row.Health == Health)
        && (string.IsNullOrWhiteSpace(Search) || Contains(row, Search.Trim()));

    public List<ServiceDto> Apply(IEnumerable<ServiceDto> rows) => [.. rows.Where(Matches)];

    // Search covers what a user remembers: names, the image, the reason and the drifted fields.
    private static bool Contains(ServiceDto row, string text) =>
        row.Host.Contains(text, StringComparison.OrdinalIgnoreCase)
        || row.App.Contains(text, StringComparison.OrdinalIgnoreCase)
        || row.Name.Contains(text, StringComparison.OrdinalIgnoreCase)
        || row.Image.Contains(text, StringComparison.OrdinalIgnoreCase)
        || row.Reason.Contains(text, StringComparison.OrdinalIgnoreCase)
        || row.DriftedFields.Any(f => f.Contains(text, StringComparison.OrdinalIgnoreCase));
}

/// <summary>How many services are in each sync and health state.</summary>
public sealed record FleetCounts(IReadOnlyDictionary<string, int> Sync, IReadOnlyDictionary<string, int> Health, int Total)
{
    public static readonly IReadOnlyList<string> SyncWords = ["Synced", "OutOfSync", "Unknown"];
    public static readonly IReadOnlyList<string> HealthWords = ["Healthy", "Progressing", "Degraded", "Missing", "Unknown"];

    public static FleetCounts Of(IReadOnlyCollection<ServiceDto> rows)
    {
        var sync = SyncWords.ToDictionary(w => w, _ => 0, StringComparer.Ordinal);
        var health = HealthWords.ToDictionary(w => w, _ => 0, StringComparer.Ordinal);
        foreach (var row in rows)
        {
            sync[row.Sync] = sync.GetValueOrDefault(row.Sync) + 1;
            health[row.Health] = health.GetValueOrDefault(row.Health) + 1;
        }
        return new FleetCounts(sync, health, rows.Count);
    }
}
