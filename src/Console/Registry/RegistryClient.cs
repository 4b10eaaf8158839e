using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ConOps.Contract;

namespace ConOps.Console.Registry;

/// <summary>
/// Asks a registry which digest a tag points at, with one <c>HEAD /v2/&lt;name&gt;/manifests/&lt;tag&gt;</c>.
/// Speaks anonymous, Basic and Bearer token auth (the challenge in <c>WWW-Authenticate</c> says which);
/// scoped tokens are cached until shortly before they expire.
/// </summary>
public sealed class RegistryClient(HttpClient http, TimeProvider time)
{
    /// <summary>
    /// All four manifest types. With fewer, some registries convert the manifest (to schema 1) and answer a
    /// different digest, or answer 404 for an index.
    /// </summary>
    public static readonly string[] ManifestMediaTypes =
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
    ];

    private const int MaxTokenResponseBytes = 64 * 1024;
    private const int MaxManifestBytes = 4 * 1024 * 1024;

    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset Expires)> _tokens = new(StringComparer.Ordinal);

    /// <summary>Returns <c>sha256:...</c> for the reference's tag, or throws <see cref="RegistryException"/> with the cause.</summary>
    public async Task<string> ResolveDigestAsync(ImageReference image, RegistryCredential? credential, CancellationToken ct)
    {
        var scheme = image.IsLoopback ? "http" : "https";
        var url = new Uri($"{scheme}://{image.ApiHost}/v2/{image.Repository}/manifests/{image.Tag}");
        var tokenKey = $"{image.ApiHost}|{image.Repository}|{credential?.Username}";

        using var first = await SendAsync(HttpMethod.Head, url, _tokens.TryGetValue(tokenKey, out var cached) && cached.Expires > time.GetUtcNow() ? new AuthenticationHeaderValue("Bearer", cached.Token) : null, image, ct);
        if (first.StatusCode != HttpStatusCode.Unauthorized)
        {
            return await DigestFromAsync(first, url, null, image, ct);
        }

        var challenge = AuthenticateChallenge.Parse(first.Headers.WwwAuthenticate.ToString());
        AuthenticationHeaderValue authorization;
        if (challenge is null || challenge.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            if (credential is null)
            {
                throw new RegistryException($"{image.Registry} requires credentials for {image.Repository}; add a registry login for '{image.Registry}' to the app", transient: false);
            }
            authorization = BasicHeader(credential);
        }
        else if (challenge.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            var (token, expires) = await FetchTokenAsync(challenge, image, credential, ct);
            _tokens[tokenKey] = (token, expires);
            authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        else
        {
            throw new RegistryException($"{image.Registry} asks for the unsupported auth scheme '{challenge.Scheme}'", transient: false);
        }

        using var second = await SendAsync(HttpMethod.Head, url, authorization, image, ct);
        if (second.StatusCode == HttpStatusCode.Unauthorized)
        {
            throw new RegistryException($"{image.Registry} refused the credentials{(credential is null ? "" : $" of user '{credential.Username}'")} for {image.Repository}", transient: false);
        }
        return await DigestFromAsync(second, url, authorization, image, ct);
    }

    private async Task<string> DigestFromAsync(HttpResponseMessage response, Uri url, AuthenticationHeaderValue? authorization, ImageReference image, CancellationToken ct)
    {
        switch (response.StatusCode)
        {
            case HttpStatusCode.NotFound:
                throw new RegistryException($"{image.Registry}/{image.Repository}:{image.Tag} does not exist (tag or repository not found)", transient: false);
            case HttpStatusCode.Forbidden:
                throw new RegistryException($"{image.Registry} denies access to {image.Repository}", transient: false);
            case HttpStatusCode.TooManyRequests:
                throw new RegistryException($"{image.Registry} rate-limits this console (429); the last known digest stays in use", transient: true);
        }
        if (!response.IsSuccessStatusCode)
        {
            throw new RegistryException($"{image.Registry} answered {(int)response.StatusCode} {response.ReasonPhrase}", transient: (int)response.StatusCode >= 500);
        }
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && values.FirstOrDefault() is { Length: > 0 } digest)
        {
            return digest;
        }

        // Not every registry sets the header on HEAD: hash the manifest itself.
        using var get = await SendAsync(HttpMethod.Get, url, authorization, image, ct);
        if (!get.IsSuccessStatusCode)
        {
            throw new RegistryException($"{image.Registry} answered {(int)get.StatusCode} to GET manifest", transient: (int)get.StatusCode >= 500);
        }
        if (get.Content.Headers.ContentLength > MaxManifestBytes)
        {
            throw new RegistryException($"{image.Registry} returned a manifest larger than {MaxManifestBytes} bytes", transient: false);
        }
        var body = await get.Content.ReadAsByteArrayAsync(ct);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body));
    }

    private async Task<(string Token, DateTimeOffset Expires)> FetchTokenAsync(AuthenticateChallenge challenge, ImageReference image, RegistryCredential? credential, CancellationToken ct)
    {
        if (challenge.Realm is not { Length: > 0 } realm || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri))
        {
            throw new RegistryException($"{image.Registry} sent a Bearer challenge without a usable realm", transient: false);
        }
        var query = new List<string>();
        if (challenge.Service is { Length: > 0 } service)
        {
            query.Add("service=" + Uri.EscapeDataString(service));
        }
        query.Add("scope=" + Uri.EscapeDataString(challenge.Scope ?? $"repository:{image.Repository}:pull"));
        var builder = new UriBuilder(realmUri) { Query = string.Join('&', query) };

        using var request = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
        if (credential is not null)
        {
            request.Headers.Authorization = BasicHeader(credential);
        }
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException ex)
        {
            throw new RegistryException($"token server {realmUri.Authority} is unreachable: {ex.Message}", transient: true);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new RegistryException($"token server {realmUri.Authority} did not answer in time", transient: true);
        }
        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                throw new RegistryException($"token server {realmUri.Authority} refused {(credential is null ? "anonymous access" : $"the credentials of user '{credential.Username}'")} to {image.Repository}", transient: false);
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new RegistryException($"token server {realmUri.Authority} answered {(int)response.StatusCode}", transient: (int)response.StatusCode >= 500);
            }
            if (response.Content.Headers.ContentLength > MaxTokenResponseBytes)
            {
                throw new RegistryException($"token server {realmUri.Authority} sent an oversized answer", transient: false);
            }
            using var json = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(ct));
            var root = json.RootElement;
            var token = root.TryGetProperty("token", out var t) && t.GetString() is { Length: > 0 } tv ? tv
                : root.TryGetProperty("access_token", out var a) && a.GetString() is { Length: > 0 } av ? av
                : throw new RegistryException($"token server {realmUri.Authority} answered without a token", transient: false);
            // The spec's default lifetime is 60 s; keep a margin so a token never expires in flight.
            var lifetime = root.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var seconds) && seconds > 0 ? seconds : 60;
            return (token, time.GetUtcNow().AddSeconds(Math.Max(lifetime - 10, 5)));
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url, AuthenticationHeaderValue? authorization, ImageReference image, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, url);
        foreach (var type in ManifestMediaTypes)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        }
        request.Headers.Authorization = authorization;
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException ex)
        {
            throw new RegistryException($"registry {image.Registry} is unreachable: {ex.Message}", transient: true);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new RegistryException($"registry {image.Registry} did not answer in time", transient: true);
        }
    }

    private static AuthenticationHeaderValue BasicHeader(RegistryCredential credential) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")));
}

/// <summary>A registry problem, with whether trying again later may help.</summary>
public sealed class RegistryException(string message, bool transient) : Exception(message)
{
    public bool Transient { get; } = transient;
}
