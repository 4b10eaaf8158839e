using ConOps.Console.Auth;
using ConOps.Console.Sync;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace ConOps.Console.Webhooks;

/// <summary>
/// The shared secret webhooks are verified with: the one set in Settings (kept encrypted with the console's
/// Data Protection keys in <c>data/webhook-secret</c>) or, when none was set there, <see cref="SourcesOptions.WebhookSecret"/>
/// from configuration. It is write-only: nothing reads it back except the signature check.
/// </summary>
public sealed class WebhookSecret(IDataProtectionProvider protection, IOptions<ConsoleOptions> console, IOptions<SourcesOptions> sources)
{
    /// <summary>Shorter secrets are refused: GitHub, GitLab and Gitea accept any length, but a short one can be guessed.</summary>
    public const int MinimumLength = 16;

    private readonly IDataProtector _protector = protection.CreateProtector("ConOps.WebhookSecret.v1");
    private readonly Lock _gate = new();
    private string? _stored;
    private bool _loaded;

    private string FilePath => Path.Combine(Path.GetFullPath(console.Value.DataDirectory), "webhook-secret");

    /// <summary>The secret in effect, or empty when webhooks are refused.</summary>
    public string Current => Stored() ?? sources.Value.WebhookSecret;

    /// <summary>Where the secret in effect comes from: <c>settings</c>, <c>configuration</c> or <c>none</c>.</summary>
    public string Origin => Stored() is not null ? "settings" : sources.Value.WebhookSecret.Length > 0 ? "configuration" : "none";

    /// <summary>A sentence for the user when the secret cannot be used; null when it is fine.</summary>
    public static string? Validate(string? secret) =>
        string.IsNullOrEmpty(secret) || secret.Length < MinimumLength || secret.Length > 512
            ? $"Give a secret of {MinimumLength} to 512 characters (e.g. the output of `openssl rand -hex 32`); enter the same one on the Git server."
            : secret.Any(char.IsWhiteSpace) || secret.Any(char.IsControl)
                ? "The secret may not contain spaces, tabs or line breaks (Git servers would not send them back the same way)."
                : null;

    /// <summary>Replaces the secret (it wins over configuration from now on).</summary>
    public void Replace(string secret)
    {
        if (Validate(secret) is { } problem)
        {
            throw new ArgumentException(problem, nameof(secret));
        }
        lock (_gate)
        {
            ConsoleOptions.EnsureDataDirectory(Path.GetDirectoryName(FilePath)!);
            var temporary = FilePath + ".tmp";
            File.WriteAllText(temporary, _protector.Protect(secret));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            File.Move(temporary, FilePath, overwrite: true);
            _stored = secret;
            _loaded = true;
        }
    }

    /// <summary>Forgets the secret set in Settings; configuration's (if any) applies again.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            File.Delete(FilePath);
            _stored = null;
            _loaded = true;
        }
    }

    private string? Stored()
    {
        lock (_gate)
        {
            if (!_loaded)
            {
                _stored = File.Exists(FilePath) ? Unprotect(File.ReadAllText(FilePath)) : null;
                _loaded = true;
            }
            return _stored;
        }
    }

    private string Unprotect(string text)
    {
        try
        {
            return _protector.Unprotect(text);
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw new InvalidOperationException($"The webhook secret in {FilePath} cannot be decrypted: the Data Protection keys in the data directory (keys/) are missing or were replaced. Set it again in Settings › Webhooks.", ex);
        }
    }
}

/// <summary>The webhook secret's state, never its value.</summary>
public sealed record WebhookSecretView(bool Set, string Origin, IReadOnlyList<WebhookProvider> Providers);

/// <summary>Where one Git server sends its push webhooks and how the console checks them.</summary>
public sealed record WebhookProvider(string Name, string Path, string Check);

/// <summary>A new webhook secret; write-only.</summary>
public sealed record WebhookSecretInput(string? Secret);

public static class WebhookSecretEndpoints
{
    /// <summary>The providers the console accepts pushes from, as Settings and the API describe them.</summary>
    public static IReadOnlyList<WebhookProvider> Providers { get; } =
    [
        new("GitHub", "/api/webhooks/github", "HMAC-SHA256 of the body in X-Hub-Signature-256 (content type application/json)"),
        new("GitLab", "/api/webhooks/gitlab", "the secret token itself in X-Gitlab-Token"),
        new("Gitea / Forgejo", "/api/webhooks/gitea", "HMAC-SHA256 of the body in X-Gitea-Signature or X-Forgejo-Signature"),
    ];

    public static WebhookSecretView View(WebhookSecret secret) => new(secret.Current.Length > 0, secret.Origin, Providers);

    /// <summary><c>GET/PUT/DELETE /api/settings/webhook-secret</c> (admin): whether it is set and where from; replace; back to configuration.</summary>
    public static IEndpointRouteBuilder MapWebhookSecret(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/settings/webhook-secret").RequireAuthorization(Policies.Admin);
        group.MapGet("", (WebhookSecret secret) => View(secret));
        group.MapPut("", (WebhookSecretInput input, WebhookSecret secret) =>
        {
            if (WebhookSecret.Validate(input.Secret) is { } problem)
            {
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["secret"] = [problem] }, title: "The webhook secret is not valid.");
            }
            secret.Replace(input.Secret!);
            return Results.Ok(View(secret));
        });
        group.MapDelete("", (WebhookSecret secret) =>
        {
            secret.Clear();
            return Results.Ok(View(secret));
        });
        return endpoints;
    }
}
