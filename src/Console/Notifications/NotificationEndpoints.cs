using ConOps.Console.Auth;
using ConOps.Console.History;
using Microsoft.EntityFrameworkCore;

namespace ConOps.Console.Notifications;

/// <summary>A target as the user enters it. The URL (and token) are secrets: accepted here, never returned.</summary>
public sealed record NotificationTargetInput(string? Name, string? Kind, string? Url, string? Token, bool? Enabled);

/// <summary>A rule: events of one app (or all apps when App is empty) go to a target.</summary>
public sealed record NotificationRuleInput(long TargetId, string? App, IReadOnlyList<string>? Events);

public static class NotificationEndpoints
{
    public static IEndpointRouteBuilder MapNotifications(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/notifications");

        api.MapGet("/targets", (NotificationTargets targets, CancellationToken ct) => targets.ListAsync(ct));

        api.MapPost("/targets", async (NotificationTargetInput input, NotificationTargets targets, CancellationToken ct) =>
            Answer(await targets.CreateAsync(input, ct), created: true)).RequireAuthorization(Policies.Admin);

        // A URL or token left out keeps the stored one (they are never sent back, so a client cannot resend them).
        api.MapPut("/targets/{id:long}", async (long id, NotificationTargetInput input, NotificationTargets targets, CancellationToken ct) =>
            Answer(await targets.UpdateAsync(id, input, ct), created: false)).RequireAuthorization(Policies.Admin);

        api.MapDelete("/targets/{id:long}", async (long id, NotificationTargets targets, CancellationToken ct) =>
            await targets.DeleteAsync(id, ct) ? Results.NoContent() : Results.NotFound()).RequireAuthorization(Policies.Admin);

        // "Send test": one delivery attempt now; the answer says whether it arrived and, if not, why.
        api.MapPost("/targets/{id:long}/test", async (long id, IDbContextFactory<ConOpsDb> dbs, NotificationSender sender, TimeProvider time, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var target = await db.Set<NotificationTargetRecord>().AsNoTracking().FirstOrDefaultAsync(t => t.Id == id, ct);
            if (target is null)
            {
                return Results.Problem($"No notification target with id {id}.", statusCode: StatusCodes.Status404NotFound);
            }
            var result = await sender.SendAsync(target, NotificationMessage.Test(target.Name, time.GetUtcNow()), ct);
            return result.Delivered
                ? Results.Ok(new { delivered = true, target = target.Name })
                : Results.Problem(result.Error, title: $"The test message to '{target.Name}' was not delivered.", statusCode: StatusCodes.Status502BadGateway);
        });

        api.MapGet("/rules", async (IDbContextFactory<ConOpsDb> dbs, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            return await db.Set<NotificationRuleRecord>().AsNoTracking().OrderBy(r => r.Id).ToListAsync(ct);
        });

        api.MapPost("/rules", async (NotificationRuleInput input, IDbContextFactory<ConOpsDb> dbs, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var errors = new Dictionary<string, string[]>();
            if (!await db.Set<NotificationTargetRecord>().AnyAsync(t => t.Id == input.TargetId, ct))
            {
                errors["targetId"] = [$"No notification target with id {input.TargetId}."];
            }
            if (NotificationTargets.ValidateRule(input) is { } problem)
            {
                errors["events"] = [problem];
            }
            if (errors.Count > 0)
            {
                return Results.ValidationProblem(errors, title: "The notification rule is invalid.");
            }
            var rule = new NotificationRuleRecord { TargetId = input.TargetId, App = string.IsNullOrWhiteSpace(input.App) ? null : input.App, Events = [.. input.Events!.Distinct()] };
            db.Add(rule);
            await db.SaveChangesAsync(ct);
            return Results.Created($"/api/notifications/rules/{rule.Id}", rule);
        }).RequireAuthorization(Policies.Admin);

        api.MapDelete("/rules/{id:long}", async (long id, IDbContextFactory<ConOpsDb> dbs, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            return await db.Set<NotificationRuleRecord>().Where(r => r.Id == id).ExecuteDeleteAsync(ct) == 0 ? Results.NotFound() : Results.NoContent();
        }).RequireAuthorization(Policies.Admin);

        api.MapGet("/incidents", async (IDbContextFactory<ConOpsDb> dbs, bool? open, int? limit, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var query = db.Set<IncidentRecord>().AsNoTracking();
            if (open == true)
            {
                query = query.Where(i => i.ResolvedAt == null);
            }
            return await query.OrderByDescending(i => i.Id).Take(Math.Clamp(limit ?? 100, 1, 1000)).ToListAsync(ct);
        });

        return endpoints;
    }

    private static IResult Answer(TargetChange change, bool created) =>
        change.NotFound ? Results.Problem("No such notification target.", statusCode: StatusCodes.Status404NotFound)
        : change.Conflict is { } conflict ? Results.Problem(conflict, statusCode: StatusCodes.Status409Conflict)
        : change.Errors.Count > 0 ? Results.ValidationProblem(change.Errors, title: "The notification target is invalid.")
        : created ? Results.Created($"/api/notifications/targets/{change.Target!.Id}", NotificationTargets.View(change.Target, []))
        : Results.Ok(NotificationTargets.View(change.Target!, []));
}
