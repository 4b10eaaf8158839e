using System.Net;
using System.Text;
using ConOps.IntegrationTests.Support;
using Xunit.Abstractions;

namespace ConOps.IntegrationTests.Sources;

/// <summary>Approval per host, and webhooks that refresh at once (and refuse a bad signature).</summary>
[Collection(RealEngine.Name)]
public sealed class ApprovalAndWebhookTests(ITestOutputHelper output) : IAsyncDisposable
{
    private const string WebhookSecret = "conops-webhook-test-secret";
    private readonly SourcesScenario _s = new();

    [Fact]
    public async Task A_change_waits_with_its_plan_until_someone_approves_it_for_the_host()
    {
        // Given an app that needs approval on host local
        _s.Repo.Commit("first", ("compose.yaml", Compose("hello")));
        await _s.StartConsoleAsync();
        await _s.CreateAppAsync(new { name = _s.App, repoUrl = _s.Repo.Path, hosts = new[] { "local" }, policy = new { approvalHosts = new[] { "local" } } });

        // Then even the first deployment waits, showing the services it would add
        var pending = await Eventually.Until(() => _s.TargetAsync(), t => t?.GetProperty("state").GetString() == "pending-approval", SourcesScenario.Converge, "the first deployment to wait for approval");
        Assert.Equal("add", pending!.Value.GetProperty("pendingPlan").GetProperty("services")[0].GetProperty("kind").GetString());
        Assert.Null(await _s.ContainerAsync("web"));

        // When someone approves it, it runs
        await ApproveAsync();
        var first = await _s.WaitForContainerAsync("web", c => c.Config.Env.Contains("GREETING=hello"), "web to run after approval");

        // When a commit changes the environment, the change waits with a plan that names the field
        _s.Repo.Commit("greet differently", ("compose.yaml", Compose("bonjour")));
        var plan = await Eventually.Until(() => _s.TargetAsync(), t => t?.GetProperty("state").GetString() == "pending-approval", SourcesScenario.Converge, "the change to wait for approval");
        var change = plan!.Value.GetProperty("pendingPlan").GetProperty("services")[0];
        Assert.Equal("change", change.GetProperty("kind").GetString());
        Assert.Equal("environment", change.GetProperty("fields")[0].GetString());
        Assert.Equal("greet differently", plan.Value.GetProperty("pendingCommitMessage").GetString());
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(first.ID, (await _s.ContainerAsync("web"))!.ID);

        // When it is approved, exactly that change is deployed, and the release names the approver's request
        await ApproveAsync();
        await _s.WaitForContainerAsync("web", c => c.Config.Env.Contains("GREETING=bonjour"), "web to run the approved change");
        Assert.Equal("deployed", (await _s.TargetAsync())!.Value.GetProperty("state").GetString());
        var release = (await _s.HistoryAsync())[0];
        Assert.Equal("greet differently", release.GetProperty("commitMessage").GetString());
        Assert.Equal("api", release.GetProperty("user").GetString());

        // And approving when nothing waits is a conflict, not a silent success
        Assert.Equal(HttpStatusCode.Conflict, (await _s.Console.Http.PostAsync($"/api/apps/{_s.App}/approve?host=local", null)).StatusCode);
    }

    [Fact]
    public async Task A_signed_webhook_refreshes_the_app_at_once_and_a_bad_signature_is_refused()
    {
        // Given a console that polls only every 10 minutes, with a webhook secret
        _s.Repo.Commit("first", ("compose.yaml", Compose("hello")));
        await _s.StartConsoleAsync(new()
        {
            ["ConOps:Console:PollInterval"] = "00:10:00",
            ["ConOps:Sources:WebhookSecret"] = WebhookSecret,
        });
        await _s.CreateAppAsync(new { name = _s.App, repoUrl = _s.Repo.Path, hosts = new[] { "local" } });
        var first = await _s.WaitForContainerAsync("web", c => c.Config.Env.Contains("GREETING=hello"), "web to run");

        // When a commit is pushed and a webhook arrives with a wrong signature
        _s.Repo.Commit("change", ("compose.yaml", Compose("bonjour")));
        var body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["ref"] = "refs/heads/main",
            ["repository"] = new Dictionary<string, string> { ["clone_url"] = _s.Repo.Path },
        });
        var refused = await PostWebhookAsync(body, "sha256=" + Hmac("not-the-secret", body));

        // Then it is refused with 401 and logged, and nothing changes
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        await Eventually.Until(() => Task.FromResult(_s.Console.Log), l => l.Contains("Refused a github webhook", StringComparison.Ordinal), TimeSpan.FromSeconds(5), "the refusal to be logged");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(first.ID, (await _s.ContainerAsync("web"))!.ID);

        // When the same webhook arrives correctly signed, the app is refreshed at once
        var accepted = await PostWebhookAsync(body, "sha256=" + Hmac(WebhookSecret, body));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Contains(_s.App, await accepted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await Eventually.Until(() => _s.ContainerAsync("web"), c => c?.Config.Env.Contains("GREETING=bonjour") == true && c.State.Running, TimeSpan.FromSeconds(20), "the webhook to deploy the change");
        Assert.Contains(await _s.HistoryAsync(), r => r.GetProperty("trigger").GetString() == "webhook" && r.GetProperty("commitMessage").GetString() == "change");
    }

    private async Task ApproveAsync()
    {
        var response = await _s.Console.Http.PostAsync($"/api/apps/{_s.App}/approve?host=local", null);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<HttpResponseMessage> PostWebhookAsync(byte[] body, string signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/github") { Content = new ByteArrayContent(body) };
        request.Headers.Add("X-GitHub-Event", "push");
        request.Headers.Add("X-Hub-Signature-256", signature);
        return await _s.Console.Http.SendAsync(request);
    }

    private static string Hmac(string secret, byte[] body) =>
        Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    private string Compose(string greeting) => $$"""
        services:
          web:
            image: conops-test/web:1
            command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
            environment:
              GREETING: {{greeting}}
            ports: ["127.0.0.1:{{_s.Port}}:8080"]
        """;

    public async ValueTask DisposeAsync()
    {
        output.WriteLine(_s.Console?.Log ?? "");
        await _s.DisposeAsync();
    }
}
