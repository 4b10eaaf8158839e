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
            // The gRPC agent endpoint: agents authenticate their own way, never with cookies or API tokens.
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
    /// The default rule for endpoints that declare nothing: container logs need operator (they may show
    /// secrets), managing hosts and their credentials needs admin, any other change to the API needs
    /// operator, and reading needs viewer.
    /// </summary>
    public static string RoleFor(HttpRequest request)
    {
        var path = request.Path;
        if (!path.StartsWithSegments("/api"))
        {
            return Roles.Viewer;
        }
        if (path.StartsWithSegments("/api/logs"))
        {
            return Roles.Operator;
        }
        var reads = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method);
        return reads ? Roles.Viewer
            : path.StartsWithSegments("/api/hosts") ? Roles.Admin
            : Roles.Operator;
    }
}
