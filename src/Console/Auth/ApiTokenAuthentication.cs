using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ConOps.Console.Auth;

/// <summary>Authenticates <c>Authorization: Bearer &lt;token&gt;</c> against the stored token hashes.</summary>
public sealed class ApiTokenAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiTokens tokens) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }
        var record = await tokens.ValidateAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (record is null)
        {
            return AuthenticateResult.Fail("The API token is unknown or was deleted.");
        }
        var principal = UserAccounts.Principal("token:" + record.Name, record.Role, SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.Headers.WWWAuthenticate = result.Failure is null ? "Bearer" : "Bearer error=\"invalid_token\"";
        await AuthProblems.WriteAsync(Context, StatusCodes.Status401Unauthorized,
            result.Failure is null ? "Authentication required." : "Invalid API token.",
            result.Failure?.Message ?? "Send an API token as 'Authorization: Bearer <token>' (create one under Settings > API tokens), or sign in.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        AuthProblems.WriteAsync(Context, StatusCodes.Status403Forbidden, "Forbidden.", AuthProblems.ForbiddenDetail(Context));
}

/// <summary>problem+json answers for 401 and 403 on the API, so clients see why rather than a login page.</summary>
public static class AuthProblems
{
    public static async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        if (context.Response.HasStarted)
        {
            return;
        }
        context.Response.StatusCode = status;
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }

    public static string ForbiddenDetail(HttpContext context)
    {
        var held = context.User.HighestRole() ?? "no role";
        var needed = context.Items.TryGetValue(RequiredRoleItem, out var role) ? role as string : null;
        return needed is null
            ? $"'{context.User.Actor()}' ({held}) may not do this."
            : $"This needs the {needed} role; '{context.User.Actor()}' is {held}.";
    }

    /// <summary>HttpContext item where the authorization handler notes the role a request needed.</summary>
    public const string RequiredRoleItem = "conops:required-role";
}
