using ConOps.Console.Auth;
using ConOps.Console.Fleet;
using ConOps.Contract;

namespace ConOps.Console.Api;

/// <summary>
/// One service as the API shows it. <see cref="LiveValues"/>: for drifted fields, what the live container has
/// (for environment and labels only the names of the keys that differ, never their values).
/// </summary>
public sealed record ServiceDto(
    string Host,
    string App,
    string Name,
    string Status,
    string Sync,
    string Health,
    string Reason,
    string? Error,
    string Image,
    string ConfigHash,
    string Revision,
    string ContainerId,
    DateTimeOffset? StartedAt,
    double? UptimeSeconds,
    IReadOnlyList<string> DriftedFields,
    IReadOnlyDictionary<string, string> LiveValues,
    bool HostConnected,
    DateTimeOffset UpdatedAt);

public static class ApiEndpoints
{
    /// <summary>The OpenAPI document of everything under <c>/api</c>, served at <c>/openapi/v1.json</c>.</summary>
    public static IServiceCollection AddConOpsApi(this IServiceCollection services)
    {
        services.AddOpenApi(o =>
        {
            o.ShouldInclude = d => d.RelativePath?.StartsWith("api", StringComparison.Ordinal) == true;
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "ConOps API";
                document.Info.Description = "Every /api call needs 'Authorization: Bearer <token>' (Settings > API tokens). Reading needs the viewer role, sync/approve/rollback/logs need operator, settings and users need admin. Errors are application/problem+json.";
                return Task.CompletedTask;
            });
        });
        return services;
    }

    public static IEndpointRouteBuilder MapConOpsApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapOpenApi().RequireAuthorization(Policies.Viewer);
        // No group-wide policy: the fallback policy gives reads viewer and changes operator, also for calls added later.
        var api = endpoints.MapGroup("/api");

        api.MapGet("/services", (FleetState fleet, TimeProvider time) => ServiceRows(fleet, time.GetUtcNow()));

        api.MapGet("/hosts", (FleetState fleet) => fleet.Hosts);

        return endpoints;
    }

    /// <summary>
    /// Status words: <c>error</c> (the app's source fails, or the service is degraded), <c>drifted</c>
    /// (out of sync, including a new desired state the agent has not applied yet), <c>synced</c>, or
    /// <c>unknown</c> (desired, but no agent has reported it yet).
    /// </summary>
    public static IEnumerable<ServiceDto> ServiceRows(FleetState fleet, DateTimeOffset now)
    {
        var errors = fleet.AppErrors;
        var desired = fleet.Desired;
        var hosts = fleet.Hosts.ToDictionary(h => h.Name, StringComparer.Ordinal);
        var reported = new HashSet<(string Host, string App, string Service)>();
        foreach (var view in fleet.Services)
        {
            reported.Add((view.Host, view.App, view.Service));
            var s = view.Status;
            var appError = errors.GetValueOrDefault(view.App);
            var wantedHash = desired.GetValueOrDefault((view.Host, view.App))?.GetValueOrDefault(view.Service);
            var notApplied = wantedHash is not null && s.ConfigHash != wantedHash && s.Sync == SyncStatus.Synced;
            var sync = notApplied ? SyncStatus.OutOfSync : s.Sync;
            var status = appError is not null || s.Health == HealthStatus.Degraded ? "error"
                : sync == SyncStatus.OutOfSync ? "drifted"
                : sync == SyncStatus.Synced ? "synced"
                : "unknown";
            var startedAt = s.StartedAt?.ToDateTimeOffset();
            yield return new ServiceDto(
                view.Host,
                view.App,
                view.Service,
                status,
                SyncWord(sync),
                HealthWord(s.Health),
                notApplied ? "a new desired state is on its way to the agent" : s.Reason,
                appError ?? (s.Health == HealthStatus.Degraded ? s.Reason : null),
                s.Image,
                s.ConfigHash,
                s.Revision,
                s.ContainerId,
                startedAt,
                startedAt is null ? null : Math.Round((now - startedAt.Value).TotalSeconds),
                notApplied ? ["config hash"] : [.. s.DriftedFields],
                notApplied || s.LiveValues.Count == 0 ? NoLiveValues : new SortedDictionary<string, string>(s.LiveValues, StringComparer.Ordinal),
                hosts.TryGetValue(view.Host, out var host) && host.Connected,
                view.UpdatedAt);
        }

        foreach (var ((host, app), hashes) in desired)
        {
            foreach (var service in hashes.Keys.Where(s => !reported.Contains((host, app, s))))
            {
                var connected = hosts.TryGetValue(host, out var h) && h.Connected;
                yield return new ServiceDto(
                    host, app, service,
                    errors.ContainsKey(app) ? "error" : "unknown",
                    "Unknown", "Unknown",
                    connected ? "waiting for the agent to report it" : $"host '{host}' has no connected agent",
                    errors.GetValueOrDefault(app),
                    "", "", "", "", null, null, [], NoLiveValues, connected, now);
            }
        }
    }

    private static readonly IReadOnlyDictionary<string, string> NoLiveValues = new Dictionary<string, string>();

    public static string SyncWord(SyncStatus sync) => sync switch
    {
        SyncStatus.Synced => "Synced",
        SyncStatus.OutOfSync => "OutOfSync",
        _ => "Unknown",
    };

    public static string HealthWord(HealthStatus health) => health switch
    {
        HealthStatus.Healthy => "Healthy",
        HealthStatus.Progressing => "Progressing",
        HealthStatus.Degraded => "Degraded",
        HealthStatus.Missing => "Missing",
        _ => "Unknown",
    };
}
