using ConOps.Console.Apps;
using ConOps.Console.Auth;
using ConOps.Console.Fleet;
using ConOps.Console.History;
using ConOps.Console.Sync;
using ConOps.Contract;
using Microsoft.EntityFrameworkCore;

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

        api.MapGet("/apps", async (AppCatalog catalog, FleetState fleet, CancellationToken ct) =>
        {
            var errors = fleet.AppErrors;
            return (await catalog.ListAsync(ct)).Select(a => new
            {
                a.Name,
                a.RepoUrl,
                a.Branch,
                a.Path,
                a.Hosts,
                a.Source,
                Commit = a.LastGoodCommit,
                Error = errors.GetValueOrDefault(a.Name),
            });
        });

        api.MapPost("/apps", async (AppDefinition definition, AppCatalog catalog, CancellationToken ct) =>
        {
            var errors = definition.Validate();
            if (errors.Count > 0)
            {
                return Results.ValidationProblem(errors, title: "The app definition is invalid.");
            }
            var app = await catalog.UpsertAsync(definition, "api", ct);
            return Results.Created($"/api/apps/{app.Name}", new { app.Name, app.RepoUrl, app.Branch, app.Path, app.Hosts });
        }).RequireAuthorization(Policies.Admin);

        api.MapPost("/apps/{name}/sync", async (string name, AppSyncer syncer, AppCatalog catalog, CancellationToken ct) =>
        {
            if (!(await catalog.ListAsync(ct)).Any(a => a.Name == name))
            {
                return Results.Problem($"No app named '{name}'.", statusCode: StatusCodes.Status404NotFound);
            }
            syncer.Enqueue(name, force: true);
            return Results.Accepted();
        }).RequireAuthorization(Policies.Operator);

        api.MapGet("/services", (FleetState fleet, TimeProvider time) => ServiceRows(fleet, time.GetUtcNow()));

        api.MapGet("/history", async (IDbContextFactory<ConOpsDb> dbs, string? app, string? host, int? limit, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var query = db.Releases.AsNoTracking();
            if (!string.IsNullOrEmpty(app))
            {
                query = query.Where(r => r.App == app);
            }
            if (!string.IsNullOrEmpty(host))
            {
                query = query.Where(r => r.Host == host);
            }
            return await query.OrderByDescending(r => r.Id).Take(Math.Clamp(limit ?? 100, 1, 1000)).ToListAsync(ct);
        });

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
