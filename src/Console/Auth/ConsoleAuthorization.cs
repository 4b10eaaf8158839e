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

    /// <summary>The default rule: reading the API needs viewer, changing it needs operator.</summary>
    public static string RoleFor(HttpRequest request) =>
        request.Path.StartsWithSegments("/api") && !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
            ? Roles.Operator
            : Roles.Viewer;
}
