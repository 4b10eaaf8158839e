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

        api.MapGet("/targets", async (IDbContextFactory<ConOpsDb> dbs, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            return (await db.Set<NotificationTargetRecord>().AsNoTracking().OrderBy(t => t.Name).ToListAsync(ct)).Select(Show);
        });

        api.MapPost("/targets", async (NotificationTargetInput input, IDbContextFactory<ConOpsDb> dbs, NotificationSender sender, TimeProvider time, CancellationToken ct) =>
        {
            var errors = Validate(input);
            if (errors.Count > 0)
            {
                return Results.ValidationProblem(errors, title: "The notification target is invalid.");
            }
            await using var db = await dbs.CreateDbContextAsync(ct);
            if (await db.Set<NotificationTargetRecord>().AnyAsync(t => t.Name == input.Name, ct))
            {
                return Results.Problem($"A notification target named '{input.Name}' exists already.", statusCode: StatusCodes.Status409Conflict);
            }
            var url = new Uri(input.Url!);
            var target = new NotificationTargetRecord
            {
                Name = input.Name!,
                Kind = input.Kind!,
                EncryptedUrl = sender.Protect(url.AbsoluteUri),
                EncryptedToken = string.IsNullOrEmpty(input.Token) ? null : sender.Protect(input.Token),
                DisplayUrl = url.GetLeftPart(UriPartial.Authority),
                Enabled = input.Enabled ?? true,
                CreatedAt = time.GetUtcNow(),
            };
            db.Add(target);
            await db.SaveChangesAsync(ct);
            return Results.Created($"/api/notifications/targets/{target.Id}", Show(target));
        }).RequireAuthorization(Policies.Admin);

        api.MapDelete("/targets/{id:long}", async (long id, IDbContextFactory<ConOpsDb> dbs, CancellationToken ct) =>
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var removed = await db.Set<NotificationTargetRecord>().Where(t => t.Id == id).ExecuteDeleteAsync(ct);
            await db.Set<NotificationRuleRecord>().Where(r => r.TargetId == id).ExecuteDeleteAsync(ct);
            return removed == 0 ? Results.NotFound() : Results.NoContent();
        }).RequireAuthorization(Policies.Admin);

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
            var events = input.Events ?? [];
            var errors = new Dictionary<string, string[]>();
            if (!await db.Set<NotificationTargetRecord>().AnyAsync(t => t.Id == input.TargetId, ct))
            {
                errors["targetId"] = [$"No notification target with id {input.TargetId}."];
            }
            if (events.Count == 0 || events.Any(e => !NotificationEvents.All.Contains(e)))
            {
                errors["events"] = [$"Name one or more of: {string.Join(", ", NotificationEvents.All)}."];
            }
            if (errors.Count > 0)
            {
                return Results.ValidationProblem(errors, title: "The notification rule is invalid.");
            }
            var rule = new NotificationRuleRecord { TargetId = input.TargetId, App = string.IsNullOrWhiteSpace(input.App) ? null : input.App, Events = [.. events.Distinct()] };
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

    private static object Show(NotificationTargetRecord t) => new { t.Id, t.Name, t.Kind, Url = t.DisplayUrl + "/…", t.Enabled, t.CreatedAt };

    private static Dictionary<string, string[]> Validate(NotificationTargetInput input)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(input.Name) || input.Name.Length > 100)
        {
            errors["name"] = ["Give the target a name (at most 100 characters)."];
        }
        if (input.Kind is null || !NotificationFormats.Kinds.Contains(input.Kind))
        {
            errors["kind"] = [$"Use one of: {string.Join(", ", NotificationFormats.Kinds)}."];
        }
        if (!Uri.TryCreate(input.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps) || input.Url!.Length > 2000)
        {
            errors["url"] = ["Give the full http(s) URL of the webhook, ntfy topic or Gotify server."];
        }
        if (input.Kind == NotificationFormats.Gotify && string.IsNullOrEmpty(input.Token))
        {
            errors["token"] = ["Gotify needs an application token."];
        }
        return errors;
    }
}
