using System.Security.Claims;
using ConOps.Console.History;
using Microsoft.EntityFrameworkCore;

namespace ConOps.Console.Sync;

/// <summary>
/// Actions on apps (<c>/api/apps/{app}/sync|approve|rollback|resume</c>) and the release history
/// (<c>/api/history</c>).
/// </summary>
public static class SyncEndpoints
{
    public static IEndpointRouteBuilder MapSyncApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api");

        api.MapPost("/apps/{name}/sync", async (string name, string? host, bool? force, HttpContext http, AppSyncer syncer, IDbContextFactory<ConOpsDb> dbs, CancellationToken ct) =>
        {
            if (!await ExistsAsync(dbs, name, ct))
            {
                return NotFound(name);
            }
            syncer.Enqueue(name, new SyncRequest(Force: true, Trigger: "manual", User: UserOf(http), Host: NullIfEmpty(host), ForceAgents: force == true, Deploy: true));
            return Results.Accepted($"/api/apps/{name}", new { app = name, host, force = force == true, message = force == true ? "Sync queued; the agents will recreate the app's containers even where hashes match." : "Sync queued." });
        });

        api.MapPost("/apps/{name}/approve", async (string name, string? host, HttpContext http, AppSyncer syncer, CancellationToken ct) =>
        {
            if (string.IsNullOrEmpty(host))
            {
                return MissingHost();
            }
            var problem = await syncer.ApproveAsync(name, host, UserOf(http), ct);
            return problem is null ? Results.Ok(new { app = name, host, message = "Approved; the change is being deployed." }) : Results.Problem(problem, statusCode: StatusCodes.Status409Conflict);
        });

        api.MapPost("/apps/{name}/rollback", async (string name, string? host, long? release, HttpContext http, AppSyncer syncer, CancellationToken ct) =>
        {
            if (string.IsNullOrEmpty(host) || release is null)
            {
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["query"] = ["Give the host and the release to roll back to: ?host=nas&release=42 (release ids are in /api/history)."] });
            }
            var problem = await syncer.RollbackAsync(name, host, release.Value, UserOf(http), ct);
            return problem is null
                ? Results.Ok(new { app = name, host, release, paused = true, message = $"Rolled back to release {release}. Automated sync of '{name}' is paused on {host} until a new commit arrives or you resume it (POST /api/apps/{name}/resume?host={host})." })
                : Results.Problem(problem, statusCode: StatusCodes.Status404NotFound);
        });

        api.MapPost("/apps/{name}/resume", async (string name, string? host, HttpContext http, AppSyncer syncer, CancellationToken ct) =>
        {
            if (string.IsNullOrEmpty(host))
            {
                return MissingHost();
            }
            var problem = await syncer.ResumeAsync(name, host, UserOf(http), ct);
            return problem is null ? Results.Ok(new { app = name, host, message = "Automated sync resumed." }) : Results.Problem(problem, statusCode: StatusCodes.Status409Conflict);
        });

        api.MapGet("/history", async (IDbContextFactory<ConOpsDb> dbs, string? app, string? host, string? trigger, string? outcome, DateTimeOffset? since, DateTimeOffset? until, long? before, int? limit, bool? model, CancellationToken ct) =>
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
            if (!string.IsNullOrEmpty(trigger))
            {
                query = query.Where(r => r.Trigger == trigger);
            }
            if (!string.IsNullOrEmpty(outcome))
            {
                query = query.Where(r => r.Outcome == outcome);
            }
            if (before is not null)
            {
                query = query.Where(r => r.Id < before);
            }
            var rows = await query.OrderByDescending(r => r.Id).Take(Math.Clamp(limit ?? 100, 1, 1000) * (since is null && until is null ? 1 : 10)).ToListAsync(ct);
            // Time filters in memory: timestamps are stored as binary ticks.
            return rows.Where(r => (since is null || r.CreatedAt >= since) && (until is null || r.CreatedAt <= until))
                .Take(Math.Clamp(limit ?? 100, 1, 1000))
                .Select(r => new
                {
                    r.Id,
                    r.App,
                    r.Host,
                    r.Generation,
                    r.Revision,
                    r.CommitMessage,
                    r.CommitAuthor,
                    r.Trigger,
                    r.User,
                    r.Outcome,
                    r.CreatedAt,
                    r.FinishedAt,
                    DurationSeconds = r.FinishedAt is { } done ? Math.Round((done - r.CreatedAt).TotalSeconds, 3) : (double?)null,
                    r.Services,
                    Model = model == true ? r.Model : null,
                });
        });

        return endpoints;
    }

    private static async Task<bool> ExistsAsync(IDbContextFactory<ConOpsDb> dbs, string name, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Apps.AnyAsync(a => a.Name == name, ct);
    }

    /// <summary>The signed-in user when authentication is on, otherwise "api".</summary>
    private static string UserOf(HttpContext http) => http.User.FindFirstValue(ClaimTypes.Name) ?? http.User.Identity?.Name ?? "api";

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static IResult NotFound(string name) => Results.Problem($"No app named '{name}'.", statusCode: StatusCodes.Status404NotFound);

    private static IResult MissingHost() =>
        Results.ValidationProblem(new Dictionary<string, string[]> { ["host"] = ["Give the host: ?host=nas."] });
}
