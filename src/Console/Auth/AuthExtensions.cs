using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace ConOps.Console.Auth;

public static partial class AuthExtensions
{
    private const string SmartScheme = "ConOps";

    /// <summary>
    /// Users, roles, cookies for the browser, bearer tokens for the API, the audit log, and the rule that
    /// every endpoint needs a role unless it says otherwise (the fallback policy), so endpoints added by any
    /// feature are covered.
    /// </summary>
    public static IServiceCollection AddConsoleAuth(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>()
            .BindConfiguration(AuthOptions.Section)
            .Validate(o => o.BootstrapToken is null or "" || o.BootstrapToken.Length >= 32, "ConOps:Auth:BootstrapToken must be at least 32 characters (e.g. `openssl rand -hex 32`).")
            .Validate(o => o.SessionLifetime >= TimeSpan.FromMinutes(5), "ConOps:Auth:SessionLifetime must be at least 5 minutes.")
            .Validate(o => o.AuditEntriesKept >= 100, "ConOps:Auth:AuditEntriesKept must be at least 100.")
            .ValidateOnStart();
        services.AddSingleton<UserAccounts>();
        services.AddSingleton<ApiTokens>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<SetupCode>();
        services.AddHostedService<AuthStartup>();
        services.AddProblemDetails();

        services.AddAuthentication(SmartScheme)
            .AddPolicyScheme(SmartScheme, "Cookie or API token", o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    // An agent's bearer is its own credential, checked by the agent hub, never an API token.
                    && context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) != true
                    ? ApiTokenAuthentication.SchemeName
                    : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthentication>(ApiTokenAuthentication.SchemeName, null)
            .AddCookie();
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>>((cookie, auth) =>
            {
                cookie.Cookie.Name = ".ConOps.Session";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.ExpireTimeSpan = auth.Value.SessionLifetime;
                cookie.SlidingExpiration = true;
                cookie.LoginPath = "/login";
                cookie.AccessDeniedPath = "/denied";
                cookie.Events.OnRedirectToLogin = context => context.Request.Path.StartsWithSegments("/api")
                    ? AuthProblems.WriteAsync(context.HttpContext, StatusCodes.Status401Unauthorized, "Authentication required.",
                        "Send an API token as 'Authorization: Bearer <token>' (create one under Settings > API tokens), or sign in.")
                    : Redirect(context);
                cookie.Events.OnRedirectToAccessDenied = context => context.Request.Path.StartsWithSegments("/api")
                    ? AuthProblems.WriteAsync(context.HttpContext, StatusCodes.Status403Forbidden, "Forbidden.", AuthProblems.ForbiddenDetail(context.HttpContext))
                    : Redirect(context);
                cookie.Events.OnValidatePrincipal = ValidateSessionAsync;
            });

        services.AddSingleton<IAuthorizationHandler, RoleAuthorizationHandler>();
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Viewer, p => p.AddRequirements(new RoleRequirement(Roles.Viewer)))
            .AddPolicy(Policies.Operator, p => p.AddRequirements(new RoleRequirement(Roles.Operator)))
            .AddPolicy(Policies.Admin, p => p.AddRequirements(new RoleRequirement(Roles.Admin)))
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().AddRequirements(new DefaultAccessRequirement()).Build());
        services.AddCascadingAuthenticationState();
        return services;
    }

    /// <summary>Authentication, authorization, antiforgery, and the API guard that audits changing calls.</summary>
    public static WebApplication UseConsoleAuth(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.Use(GuardApiAsync);
        app.MapAuthEndpoints();
        return app;
    }

    /// <summary>
    /// For changing API calls: a browser session must also send the antiforgery token (an API token needs
    /// none: browsers never attach it on their own), and every call lands in the audit log.
    /// </summary>
    private static async Task GuardApiAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (!request.Path.StartsWithSegments("/api") || HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        {
            await next(context);
            return;
        }
        if (context.User.Identity?.AuthenticationType == CookieAuthenticationDefaults.AuthenticationScheme
            && !await context.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(context))
        {
            await AuthProblems.WriteAsync(context, StatusCodes.Status400BadRequest, "Antiforgery token missing.",
                "A signed-in browser must send the antiforgery token with changing API calls; scripts should use an API token instead.");
            return;
        }
        await next(context);
        var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? request.Path.Value ?? "";
        await context.RequestServices.GetRequiredService<AuditLog>().RecordAsync(
            context.User.Actor(), $"{request.Method} {route}", request.Path.Value ?? "", context.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static Task Redirect(RedirectContext<CookieAuthenticationOptions> context)
    {
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    // A deleted user, or one whose password or role changed, is signed out on the next request.
    private static async Task ValidateSessionAsync(CookieValidatePrincipalContext context)
    {
        var name = context.Principal?.Identity?.Name;
        var stamp = context.Principal?.FindFirst(UserAccounts.StampClaim)?.Value;
        var user = name is null ? null : await context.HttpContext.RequestServices.GetRequiredService<UserAccounts>().FindAsync(name, context.HttpContext.RequestAborted);
        if (user is null || user.Stamp != stamp)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }
}

/// <summary>At start: applies the configured bootstrap token, and issues a setup code when no user exists.</summary>
public sealed partial class AuthStartup(
    ApiTokens tokens,
    UserAccounts users,
    SetupCode setup,
    IOptions<AuthOptions> options,
    IOptions<ConsoleOptions> console,
    ILogger<AuthStartup> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await tokens.ApplyBootstrapAsync(options.Value.BootstrapToken, cancellationToken);
        if (!string.IsNullOrEmpty(options.Value.BootstrapToken))
        {
            LogBootstrapToken();
        }
        if (!await users.AnyAsync(cancellationToken))
        {
            setup.Issue(SetupUrl(console.Value));
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public static string SetupUrl(ConsoleOptions console) =>
        console.UiUrl.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/setup";

    [LoggerMessage(Level = LogLevel.Information, Message = "The admin API token from ConOps:Auth:BootstrapToken is active (stored as a hash).")]
    private partial void LogBootstrapToken();
}
