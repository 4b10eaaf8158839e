using ConOps.Console.Apps;
using ConOps.Console.History;
using ConOps.Console.Sync;
using Microsoft.EntityFrameworkCore;

namespace ConOps.Console.Webhooks;

/// <summary>
/// <c>POST /api/webhooks/github|gitlab|gitea</c>: verifies the signature (or GitLab's token) against
/// the <see cref="WebhookSecret"/> (set in Settings, or <see cref="SourcesOptions.WebhookSecret"/>) and syncs the apps that follow the pushed branch or tag of that
/// repository at once. A bad signature gets 401 and a log line; nothing else happens.
/// </summary>
public static partial class WebhookEndpoints
{
    private const int MaxBodyBytes = 5 * 1024 * 1024;

    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder endpoints)
    {
        // Git servers cannot sign in: each request proves itself with the webhook secret (HMAC or token).
        var hooks = endpoints.MapGroup("/api/webhooks").AllowAnonymous();
        hooks.MapPost("/github", (HttpContext http, IServiceProvider services, CancellationToken ct) =>
            HandleAsync(http, services, "github", (secret, body) => WebhookSignature.VerifyGitHub(secret, body, http.Request.Headers["X-Hub-Signature-256"]), ct));
        hooks.MapPost("/gitea", (HttpContext http, IServiceProvider services, CancellationToken ct) =>
            HandleAsync(http, services, "gitea", (secret, body) => WebhookSignature.VerifyGitea(secret, body,
                http.Request.Headers["X-Gitea-Signature"].FirstOrDefault() ?? http.Request.Headers["X-Forgejo-Signature"].FirstOrDefault()), ct));
        hooks.MapPost("/gitlab", (HttpContext http, IServiceProvider services, CancellationToken ct) =>
            HandleAsync(http, services, "gitlab", (secret, _) => WebhookSignature.VerifyGitLab(secret, http.Request.Headers["X-Gitlab-Token"]), ct));
        endpoints.MapWebhookSecret();
        return endpoints;
    }

    private delegate bool Verifier(string secret, byte[] body);

    private static async Task<IResult> HandleAsync(HttpContext http, IServiceProvider services, string kind, Verifier verify, CancellationToken ct)
    {
        var log = services.GetRequiredService<ILoggerFactory>().CreateLogger("ConOps.Console.Webhooks");
        var secret = services.GetRequiredService<WebhookSecret>().Current;
        var remote = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

        if (http.Request.ContentLength > MaxBodyBytes)
        {
            return Results.Problem($"The payload is larger than {MaxBodyBytes / 1024 / 1024} MiB.", statusCode: StatusCodes.Status413PayloadTooLarge);
        }
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, ct);
        if (buffer.Length > MaxBodyBytes)
        {
            return Results.Problem($"The payload is larger than {MaxBodyBytes / 1024 / 1024} MiB.", statusCode: StatusCodes.Status413PayloadTooLarge);
        }
        var body = buffer.ToArray();

        if (string.IsNullOrEmpty(secret))
        {
            LogNoSecret(log, kind, remote);
            return Results.Problem("Webhooks are disabled: set a webhook secret in Settings › Webhooks (or ConOps:Sources:WebhookSecret) and the same secret on the Git server.", statusCode: StatusCodes.Status401Unauthorized);
        }
        if (!verify(secret, body))
        {
            LogBadSignature(log, kind, remote);
            return Results.Problem("The webhook signature does not match the shared secret.", statusCode: StatusCodes.Status401Unauthorized);
        }

        WebhookPush push;
        try
        {
            push = WebhookPush.Parse(body);
        }
        catch (System.Text.Json.JsonException ex)
        {
            return Results.Problem($"The payload is not JSON: {ex.Message}", statusCode: StatusCodes.Status400BadRequest);
        }
        if (push.Ref is null || push.RepositoryUrls.Count == 0)
        {
            // ping and other events carry no push: acknowledged, nothing to do.
            return Results.Ok(new { refreshed = Array.Empty<string>(), message = "Not a push event; nothing to refresh." });
        }

        var urls = push.RepositoryUrls.Select(WebhookPush.NormalizeUrl).ToHashSet(StringComparer.Ordinal);
        var dbs = services.GetRequiredService<IDbContextFactory<ConOpsDb>>();
        List<AppRecord> apps;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            apps = await db.Apps.AsNoTracking().ToListAsync(ct);
        }
        var refreshed = new List<string>();
        var syncer = services.GetRequiredService<AppSyncer>();
        foreach (var record in apps)
        {
            var app = AppCatalog.PublicDefinition(record);
            if (!urls.Contains(WebhookPush.NormalizeUrl(app.RepoUrl)) || !Follows(app, push.Ref))
            {
                continue;
            }
            syncer.Enqueue(app.Name, new SyncRequest(Trigger: "webhook"));
            refreshed.Add(app.Name);
        }
        LogAccepted(log, kind, push.Ref, refreshed.Count);
        return Results.Ok(new { refreshed });
    }

    private static bool Follows(AppDefinition app, string pushedRef) => app.RefKind switch
    {
        GitRefKind.Branch => pushedRef == $"refs/heads/{app.RefName}",
        GitRefKind.Tag => pushedRef == $"refs/tags/{app.RefName}",
        _ => false,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a {Kind} webhook from {Remote}: bad signature or token")]
    private static partial void LogBadSignature(ILogger log, string kind, string remote);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a {Kind} webhook from {Remote}: no webhook secret is set (Settings › Webhooks or ConOps:Sources:WebhookSecret)")]
    private static partial void LogNoSecret(ILogger log, string kind, string remote);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} webhook for {Ref}: refreshing {Count} app(s)")]
    private static partial void LogAccepted(ILogger log, string kind, string @ref, int count);
}
