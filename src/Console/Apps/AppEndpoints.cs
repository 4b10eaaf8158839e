using ConOps.Console.Auth;
using System.Text.Json;
using ConOps.Console.History;
using ConOps.Console.Sync;
using ConOps.Contract;
using Microsoft.EntityFrameworkCore;

namespace ConOps.Console.Apps;

/// <summary>One host of an app: what runs, what waits for approval, and whether automated sync is paused.</summary>
public sealed record AppHostView(
    string Host,
    string State,
    string? Revision,
    string? DeployedCommit,
    string? PendingRevision,
    string? PendingCommitMessage,
    DateTimeOffset? PendingSince,
    ChangePlan? PendingPlan,
    bool Paused,
    string? PausedReason);

/// <summary>
/// <c>/api/apps</c> (list, read, create or replace, delete), <c>/api/hosts/{name}/labels</c> and
/// <c>/api/fleet-file</c>. Answers never contain secrets: only whether each one is set.
/// </summary>
public static class AppEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapApps(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api");

        api.MapGet("/apps", async (AppCatalog catalog, SourceStatus status, IDbContextFactory<ConOpsDb> dbs, CancellationToken ct) =>
        {
            var apps = await catalog.ListAsync(ct);
            await using var db = await dbs.CreateDbContextAsync(ct);
            var states = (await db.AppHostStates.AsNoTracking().ToListAsync(ct)).ToLookup(s => s.App, StringComparer.Ordinal);
            return apps.Select(a => View(a, catalog, status, states[a.Name]));
        });

        api.MapGet("/apps/{name}", async (string name, AppCatalog catalog, SourceStatus status, IDbContextFactory<ConOpsDb> dbs, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var app = await db.Apps.AsNoTracking().FirstOrDefaultAsync(a => a.Name == name, ct);
            if (app is null)
            {
                return NotFound(name);
            }
            var states = await db.AppHostStates.AsNoTracking().Where(s => s.App == name).ToListAsync(ct);
            return Results.Ok(View(app, catalog, status, states));
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

        api.MapPut("/apps/{name}", async (string name, AppDefinition definition, AppCatalog catalog, CancellationToken ct) =>
        {
            definition.Name = name;
            var errors = definition.Validate();
            if (errors.Count > 0)
            {
                return Results.ValidationProblem(errors, title: "The app definition is invalid.");
            }
            var app = await catalog.UpsertAsync(definition, "api", ct);
            return Results.Ok(new { app.Name, app.RepoUrl, app.Branch, app.Path, app.Hosts });
        }).RequireAuthorization(Policies.Admin);

        api.MapDelete("/apps/{name}", async (string name, AppCatalog catalog, CancellationToken ct) =>
            await catalog.DeleteAsync(name, ct) ? Results.NoContent() : NotFound(name)).RequireAuthorization(Policies.Admin);

        api.MapPut("/hosts/{name}/labels", async (string name, Dictionary<string, string> labels, AppCatalog catalog, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(name) || labels.Keys.Any(string.IsNullOrWhiteSpace))
            {
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["labels"] = ["Label names may not be empty."] });
            }
            await catalog.SetHostLabelsAsync(name, labels, "api", ct);
            return Results.Ok(new { name, labels });
        });

        api.MapGet("/host-labels", async (IDbContextFactory<ConOpsDb> dbs, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            return (await db.Hosts.AsNoTracking().ToListAsync(ct)).Select(h => new { h.Name, h.Labels, h.Source });
        });

        api.MapGet("/fleet-file", (FleetFile fleetFile, Microsoft.Extensions.Options.IOptions<SourcesOptions> sources) =>
            new { sources.Value.FleetFile, sources.Value.FleetRepoUrl, sources.Value.FleetRepoBranch, fleetFile.AppliedVersion, fleetFile.Error });

        return endpoints;
    }

    private static IResult NotFound(string name) => Results.Problem($"No app named '{name}'.", statusCode: StatusCodes.Status404NotFound);

    private static object View(AppRecord app, AppCatalog catalog, SourceStatus status, IEnumerable<AppHostStateRecord> states)
    {
        var definition = AppCatalog.PublicDefinition(app);
        var source = status.Get(app.Name);
        return new
        {
            app.Name,
            definition.RepoUrl,
            definition.Branch,
            definition.Tag,
            PinnedCommit = definition.Commit,
            definition.Path,
            definition.ComposeFiles,
            definition.EnvFiles,
            definition.Variables,
            definition.Profiles,
            definition.Hosts,
            definition.HostSelector,
            definition.HostOverrides,
            definition.Policy,
            Registries = definition.Registries.Select(r => new { r.Server, r.Username }),
            Secrets = catalog.SecretSummary(app),
            app.Source,
            Commit = app.LastGoodCommit,
            source.Error,
            ErrorIsTransient = source.Error is null ? (bool?)null : source.ErrorIsTransient,
            source.NextRetry,
            source.LastSyncedAt,
            source.Warnings,
            Targets = states.OrderBy(s => s.Host, StringComparer.Ordinal).Select(HostView),
        };
    }

    public static AppHostView HostView(AppHostStateRecord state)
    {
        var deployed = state.Deployed is null ? null : AppDesiredState.Parser.ParseFrom(state.Deployed);
        var pending = state.Pending is null ? null : AppDesiredState.Parser.ParseFrom(state.Pending);
        var word = state.PausedReason is not null ? "paused" : pending is not null ? "pending-approval" : deployed is not null ? "deployed" : "not-deployed";
        return new AppHostView(
            state.Host,
            word,
            deployed?.Revision,
            state.DeployedCommit,
            pending?.Revision,
            pending is null ? null : state.PendingMessage,
            state.PendingSince,
            state.PendingPlan is null ? null : JsonSerializer.Deserialize<ChangePlan>(state.PendingPlan, Json),
            state.PausedReason is not null,
            state.PausedReason);
    }
}
