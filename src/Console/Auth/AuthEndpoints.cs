using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace ConOps.Console.Auth;

/// <summary>A user as the API shows it: never the password hash.</summary>
public sealed record UserDto(string Name, string Role, DateTimeOffset CreatedAt, DateTimeOffset? LastSignInAt);

/// <summary>A token as the API lists it: never the secret.</summary>
public sealed record ApiTokenDto(long Id, string Name, string Role, string Prefix, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);

/// <summary>A new user.</summary>
public sealed record NewUser(string Name, string Password, string Role);

/// <summary>A new API token.</summary>
public sealed record NewToken(string Name, string Role);

/// <summary>The answer to creating a token: the only time the token itself is shown.</summary>
public sealed record CreatedToken(ApiTokenDto Token, string Secret);

public static class AuthEndpoints
{
    public static IEndpointRouteBuilder MapAuthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/auth/logout", async (HttpContext context, IAntiforgery antiforgery, AuditLog audit) =>
        {
            if (!await antiforgery.IsRequestValidAsync(context))
            {
                return Results.Problem("The sign-out form is stale; reload the page.", statusCode: StatusCodes.Status400BadRequest);
            }
            await audit.RecordAsync(context.User.Actor(), "sign-out");
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.Redirect("/login");
        }).RequireAuthorization(Policies.Viewer).ExcludeFromDescription();

        var api = endpoints.MapGroup("/api").WithTags("Users and tokens");

        api.MapGet("/me", (HttpContext context) => new { Name = context.User.Actor(), Role = context.User.HighestRole() })
            .RequireAuthorization(Policies.Viewer);

        var admin = api.MapGroup("").RequireAuthorization(Policies.Admin);

        admin.MapGet("/users", async (UserAccounts users, CancellationToken ct) =>
            (await users.ListAsync(ct)).Select(u => new UserDto(u.Name, u.Role, u.CreatedAt, u.LastSignInAt)));

        admin.MapPost("/users", async (NewUser user, UserAccounts users, SetupCode setup, HttpContext context, AuditLog audit, CancellationToken ct) =>
        {
            if (await users.CreateAsync(user.Name, user.Password, user.Role, ct) is { } error)
            {
                return Results.Problem(error, statusCode: error.Contains("already exists", StringComparison.Ordinal) ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest);
            }
            setup.Withdraw();
            await audit.RecordAsync(context.User.Actor(), "user.create", user.Name, detail: $"role {user.Role}", ct: ct);
            return Results.Created($"/api/users/{user.Name}", new UserDto(user.Name, user.Role, DateTimeOffset.UtcNow, null));
        });

        admin.MapPut("/users/{name}/role", async (string name, NewRole body, UserAccounts users, HttpContext context, AuditLog audit, CancellationToken ct) =>
        {
            if (await users.SetRoleAsync(name, body.Role, ct) is { } error)
            {
                return Results.Problem(error, statusCode: error.StartsWith("No user", StringComparison.Ordinal) ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest);
            }
            await audit.RecordAsync(context.User.Actor(), "user.role", name, detail: $"role {body.Role}", ct: ct);
            return Results.NoContent();
        });

        admin.MapDelete("/users/{name}", async (string name, UserAccounts users, HttpContext context, AuditLog audit, CancellationToken ct) =>
        {
            if (await users.DeleteAsync(name, ct) is { } error)
            {
                return Results.Problem(error, statusCode: error.StartsWith("No user", StringComparison.Ordinal) ? StatusCodes.Status404NotFound : StatusCodes.Status409Conflict);
            }
            await audit.RecordAsync(context.User.Actor(), "user.delete", name, ct: ct);
            return Results.NoContent();
        });

        admin.MapGet("/tokens", async (ApiTokens tokens, CancellationToken ct) => (await tokens.ListAsync(ct)).Select(ToDto));

        admin.MapPost("/tokens", async (NewToken body, ApiTokens tokens, HttpContext context, AuditLog audit, CancellationToken ct) =>
        {
            var (created, error) = await tokens.CreateAsync(body.Name, body.Role, context.User.Actor(), ct);
            if (created is null)
            {
                return Results.Problem(error, statusCode: error!.Contains("already exists", StringComparison.Ordinal) ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest);
            }
            await audit.RecordAsync(context.User.Actor(), "token.create", body.Name, detail: $"role {body.Role}", ct: ct);
            return Results.Ok(new CreatedToken(ToDto(created.Record), created.Token));
        });

        admin.MapDelete("/tokens/{id:long}", async (long id, ApiTokens tokens, HttpContext context, AuditLog audit, CancellationToken ct) =>
        {
            if (!await tokens.DeleteAsync(id, ct))
            {
                return Results.Problem($"No token with id {id}.", statusCode: StatusCodes.Status404NotFound);
            }
            await audit.RecordAsync(context.User.Actor(), "token.delete", id.ToString(System.Globalization.CultureInfo.InvariantCulture), ct: ct);
            return Results.NoContent();
        });

        admin.MapGet("/audit", async (AuditLog audit, string? actor, int? limit, CancellationToken ct) => await audit.ListAsync(actor, limit ?? 200, ct));

        return endpoints;
    }

    public static ApiTokenDto ToDto(ApiTokenRecord t) => new(t.Id, t.Name, t.Role, t.Prefix, t.CreatedBy, t.CreatedAt, t.LastUsedAt);
}

/// <summary>A role change.</summary>
public sealed record NewRole(string Role);
