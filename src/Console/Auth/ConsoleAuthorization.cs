using Microsoft.AspNetCore.Authorization;

namespace ConOps.Console.Auth;

/// <summary>The request needs at least <paramref name="Role"/>.</summary>
public sealed record RoleRequirement(string Role) : IAuthorizationRequirement;

/// <summary>
/// What an endpoint needs when it declares nothing itself (the fallback policy): on <c>/api</c>, reading
/// needs viewer and changing needs operator; everything else needs a signed-in user. Endpoints that need
/// admin say so with <c>RequireAuthorization(Policies.Admin)</c>.
/// </summary>
public sealed record DefaultAccessRequirement : IAuthorizationRequirement;

public sealed class RoleAuthorizationHandler : IAuthorizationHandler
{
    public Task HandleAsync(AuthorizationHandlerContext context)
    {
        var http = context.Resource as HttpContext;
        foreach (var requirement in context.PendingRequirements.ToList())
        {
            var needed = requirement switch
            {
                RoleRequirement role => role.Role,
                DefaultAccessRequirement when http?.GetEndpoint()?.Metadata.GetMetadata<Grpc.AspNetCore.Server.GrpcMethodMetadata>() is not null => null,
                DefaultAccessRequirement when http is not null => RoleFor(http.Request),
                DefaultAccessRequirement => Roles.Viewer,
                _ => "",
            };
            if (needed == "")
            {
                continue;
            }
            // The gRPC agent endpoint (agents authenticate their own way, never with cookies or API tokens),
            // probes, metrics and signed webhooks.
            if (needed is null)
            {
                context.Succeed(requirement);
                continue;
            }
            if (context.User.IsInRole(needed))
            {
                context.Succeed(requirement);
            }
            else if (http is not null)
            {
                http.Items[AuthProblems.RequiredRoleItem] = needed;
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// The default rule for endpoints that declare nothing, or null when no sign-in is needed:
    /// probes, metrics and Git webhooks (which prove themselves with their signature) are open;
    /// container logs need operator (they may show secrets); reading needs viewer; changing apps,
    /// hosts, notification targets, users or tokens is settings and needs admin; any other change
    /// (sync, approve, rollback, ...) needs operator.
    /// </summary>
    public static string? RoleFor(HttpRequest request)
    {
        var path = request.Path;
        if (path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz") || path.StartsWithSegments("/metrics") || path.StartsWithSegments("/api/webhooks"))
        {
            return null;
        }
        if (!path.StartsWithSegments("/api"))
        {
            return Roles.Viewer;
        }
        if (path.StartsWithSegments("/api/logs"))
        {
            return Roles.Operator;
        }
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        {
            return Roles.Viewer;
        }
        var segments = path.Value!.Trim('/').Split('/');
        var settings = path.StartsWithSegments("/api/hosts") || path.StartsWithSegments("/api/notifications")
            || path.StartsWithSegments("/api/users") || path.StartsWithSegments("/api/tokens")
            // /api/apps and /api/apps/{name} change the app itself; /api/apps/{name}/sync and the like operate it.
            || (path.StartsWithSegments("/api/apps") && segments.Length <= 3);
        return settings ? Roles.Admin : Roles.Operator;
    }
}
