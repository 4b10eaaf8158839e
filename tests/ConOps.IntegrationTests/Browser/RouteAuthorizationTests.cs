using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ConOps.Console.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace ConOps.IntegrationTests.Ui;

/// <summary>
/// Walks every route the console maps (its own and every other feature's, read from the EndpointDataSource)
/// as anonymous, viewer, operator and admin, and checks each answer against the role the route needs.
/// </summary>
public sealed class RouteAuthorizationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] Ranked = [Roles.Viewer, Roles.Operator, Roles.Admin];
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "conops-routes-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _bootstrap = "routes-" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
    private WebApplicationFactory<Program>? _factory;

    public Task InitializeAsync()
    {
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("ConOps:Console:DataDirectory", _dataDirectory);
            web.UseSetting("ConOps:Auth:BootstrapToken", _bootstrap);
            web.UseSetting("ConOps:LocalAgent:Enabled", "false");
        });
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Every_route_answers_each_role_as_its_policy_says()
    {
        var admin = Client(_bootstrap);
        var tokens = new Dictionary<string, string>();
        foreach (var role in Ranked)
        {
            var created = await admin.PostAsJsonAsync("/api/tokens", new { name = "walk-" + role, role });
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
            tokens[role] = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
        }

        var endpoints = _factory!.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.Contains(endpoints, e => e.RoutePattern.RawText == "/api/services");
        var failures = new List<string>();
        var walked = 0;
        foreach (var endpoint in endpoints)
        {
            // The agent port's gRPC service answers only there; agents authenticate their own way (the end-to-end tests cover it).
            if (endpoint.Metadata.GetMetadata<IHostMetadata>() is { Hosts.Count: > 0 })
            {
                continue;
            }
            var path = Fill(endpoint.RoutePattern);
            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                var needed = RequiredRole(endpoint, method, path);
                walked++;
                string?[] callers = [null, .. Ranked];
                foreach (var caller in callers)
                {
                    var (status, location) = await SendAsync(caller is null ? Client(null) : Client(tokens[caller]), method, path);
                    var expected = Expect(needed, caller, path);
                    if (!expected(status, location))
                    {
                        failures.Add($"{method} {path} ({endpoint.DisplayName}) needs {needed ?? "nothing"}; as {caller ?? "anonymous"} it answered {(int)status} {location}");
                    }
                }
            }
        }
        output.WriteLine($"walked {walked} route/method pairs");
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Theory]
    [InlineData("POST", "/api/apps", Roles.Admin)]
    [InlineData("POST", "/api/apps/x/sync", Roles.Operator)]
    [InlineData("GET", "/api/services", Roles.Viewer)]
    [InlineData("GET", "/api/users", Roles.Admin)]
    [InlineData("POST", "/api/tokens", Roles.Admin)]
    [InlineData("GET", "/api/audit", Roles.Admin)]
    [InlineData("GET", "/settings", Roles.Admin)]
    [InlineData("GET", "/", Roles.Viewer)]
    public void Key_routes_need_the_documented_role(string method, string path, string role)
    {
        var endpoints = _factory!.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();
        _ = _factory.CreateClient();
        var endpoint = endpoints.Single(e => Fill(e.RoutePattern) == path.Replace("/x/", "/nobody-x/", StringComparison.Ordinal)
            && (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Contains(method));
        Assert.Equal(role, RequiredRole(endpoint, method, path));
    }

    /// <summary>The role the endpoint declares, or the fallback rule's (reads viewer, API changes operator); null when anonymous.</summary>
    private static string? RequiredRole(Endpoint endpoint, string method, string path)
    {
        if (endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null)
        {
            return null;
        }
        var declared = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).Where(Roles.IsKnown).ToList();
        if (declared.Count > 0)
        {
            return declared.MaxBy(r => Array.IndexOf(Ranked, r));
        }
        var request = new DefaultHttpContext().Request;
        request.Path = path;
        request.Method = method;
        return RoleAuthorizationHandler.RoleFor(request);
    }

    private static Func<HttpStatusCode, string?, bool> Expect(string? needed, string? caller, string path)
    {
        if (needed is null && path.StartsWith("/api/webhooks", StringComparison.Ordinal))
        {
            // Webhooks take no user at all: an unsigned request is refused by the signature check, whoever sends it.
            return (status, _) => status == HttpStatusCode.Unauthorized;
        }
        var allowed = needed is null || (caller is not null && Roles.Satisfies(caller, needed));
        static bool ToSignIn(HttpStatusCode status, string? location) => status == HttpStatusCode.Redirect && location?.Contains("/login", StringComparison.Ordinal) == true;
        if (allowed)
        {
            return (status, location) => status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) && !ToSignIn(status, location);
        }
        if (caller is null)
        {
            // The API says 401; pages send the browser to sign in.
            return path.StartsWith("/api", StringComparison.Ordinal)
                ? (status, _) => status == HttpStatusCode.Unauthorized
                : (status, location) => status == HttpStatusCode.Unauthorized || ToSignIn(status, location);
        }
        return (status, _) => status == HttpStatusCode.Forbidden;
    }

    private static string Fill(Microsoft.AspNetCore.Routing.Patterns.RoutePattern pattern)
    {
        var path = new StringBuilder();
        foreach (var segment in pattern.PathSegments)
        {
            path.Append('/');
            foreach (var part in segment.Parts)
            {
                path.Append(part switch
                {
                    Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
                    Microsoft.AspNetCore.Routing.Patterns.RoutePatternSeparatorPart separator => separator.Content,
                    // Names and ids that exist nowhere, so no call can change anything real.
                    Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart p when p.ParameterPolicies.Any(c => c.Content is "int" or "long") => "999999",
                    Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart p when p.Name == "documentName" => "v1",
                    Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart => "nobody-x",
                    _ => "",
                });
            }
        }
        return path.Length == 0 ? "/" : path.ToString();
    }

    private HttpClient Client(string? token)
    {
        var client = _factory!.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        }
        return client;
    }

    private static async Task<(HttpStatusCode Status, string? Location)> SendAsync(HttpClient client, string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is not ("GET" or "HEAD" or "DELETE" or "OPTIONS"))
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            return (response.StatusCode, response.Headers.Location?.ToString());
        }
        catch (OperationCanceledException)
        {
            // A streaming endpoint that kept the connection open: it was let in.
            return (HttpStatusCode.OK, null);
        }
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
