using ConOps.Console.Fleet;
using ConOps.Contract;

namespace ConOps.Console.Api;

/// <summary>One service as the API shows it.</summary>
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
    bool HostConnected,
    DateTimeOffset UpdatedAt);

public static class ApiEndpoints
{
    public static IEndpointRouteBuilder MapConOpsApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api");

        api.MapGet("/services", (FleetState fleet, TimeProvider time) => ServiceRows(fleet, time.GetUtcNow()));

        api.MapGet("/hosts", (FleetState fleet) => fleet.Hosts);

        return endpoints;
    }

    /// <summary>
    /// Status words: <c>error</c> (the app's source fails, or the service is degraded), <c>drifted</c>
    /// (out of sync), <c>synced</c>, or <c>unknown</c>.
    /// </summary>
    public static IEnumerable<ServiceDto> ServiceRows(FleetState fleet, DateTimeOffset now)
    {
        var errors = fleet.AppErrors;
        var hosts = fleet.Hosts.ToDictionary(h => h.Name, StringComparer.Ordinal);
        foreach (var view in fleet.Services)
        {
            var s = view.Status;
            var appError = errors.GetValueOrDefault(view.App);
            var status = appError is not null || s.Health == HealthStatus.Degraded ? "error"
                : s.Sync == SyncStatus.OutOfSync ? "drifted"
                : s.Sync == SyncStatus.Synced ? "synced"
                : "unknown";
            var startedAt = s.StartedAt?.ToDateTimeOffset();
            yield return new ServiceDto(
                view.Host,
                view.App,
                view.Service,
                status,
                SyncWord(s.Sync),
                HealthWord(s.Health),
                s.Reason,
                appError ?? (s.Health == HealthStatus.Degraded ? s.Reason : null),
                s.Image,
                s.ConfigHash,
                s.Revision,
                s.ContainerId,
                startedAt,
                startedAt is null ? null : Math.Round((now - startedAt.Value).TotalSeconds),
                [.. s.DriftedFields],
                hosts.TryGetValue(view.Host, out var host) && host.Connected,
                view.UpdatedAt);
        }
    }

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
