using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using ConOps.IntegrationTests.Notifications;
using ConOps.IntegrationTests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;
using SupportBrowser = ConOps.IntegrationTests.Support.Browser;

namespace ConOps.IntegrationTests.Ui;

/// <summary>
/// The admin's settings in Debian's Chromium against the real console and its local agent: notification targets
/// tested against a real HTTP receiver, write-only secrets that never come back (page text and API answers), and
/// the host page's rotate, revoke and join-token buttons.
/// </summary>
[Collection(RealEngine.Name)]
public sealed class SettingsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly LocatorAssertionsToContainTextOptions Slow = new() { Timeout = 30_000 };
    private readonly GitRepo _repo = new();
    private readonly HttpReceiver _receiver = new();
    private readonly DockerEngine _docker = new();
    private readonly string _app = "set-" + Guid.NewGuid().ToString("N")[..6];
    private ConsoleProcess? _console;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        _repo.Commit("Serve", ("compose.yaml", """
            services:
              web:
                image: conops-test/web:1
                command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
            """));
        _console = await ConsoleProcess.StartAsync(new Dictionary<string, string> { ["ConOps:LocalAgent:Enabled"] = "true" });
        (_playwright, _browser) = await SupportBrowser.LaunchAsync();
    }

    [Fact]
    public async Task An_admin_adds_a_notification_target_with_a_rule_sends_a_test_that_arrives_then_changes_and_deletes_it()
    {
        var console = _console!;
        var urlSecret = "hook-" + Guid.NewGuid().ToString("N");
        var token = "tok-" + Guid.NewGuid().ToString("N");
        var page = await ConsoleBrowser.SignInAsync(_browser!, console);
        await ConsoleBrowser.GoAsync(page, console, "/settings/notifications");
        await Assertions.Expect(page.GetByTestId("empty-state")).ToContainTextAsync("No notification target yet");

        // When the admin adds a webhook target whose URL and token are secrets, with a rule for every app
        await page.GetByTestId("add-target").ClickAsync();
        await ConsoleBrowser.Field(page, "target-name").FillAsync("ops-hook");
        await page.GetByTestId("save-target").ClickAsync();
        await Assertions.Expect(page.GetByTestId("target-error")).ToContainTextAsync("full http(s) URL");
        await ConsoleBrowser.Field(page, "target-url").FillAsync(_receiver.Url($"/hooks/{urlSecret}"));
        await ConsoleBrowser.Field(page, "target-token").FillAsync(token);
        await page.GetByTestId("rule-0-pending-approval").ClickAsync();
        await ConsoleBrowser.ScreenshotAsync(page, "settings-notifications-edit", fullPage: true);
        await page.GetByTestId("save-target").ClickAsync();

        // Then it is listed by its address's host only, with its rule
        var row = page.GetByTestId("target-ops-hook");
        await Assertions.Expect(row).ToContainTextAsync($"http://127.0.0.1:{_receiver.Port}/…", Slow);
        await Assertions.Expect(page.GetByTestId("target-rules-ops-hook")).ToContainTextAsync("every app: sync-failed, health-degraded, host-offline, pending-approval");

        // When they send a test, the receiver gets it and the page says it was delivered
        await page.GetByTestId("test-target-ops-hook").ClickAsync();
        await Assertions.Expect(page.GetByTestId("test-result-ops-hook")).ToContainTextAsync("delivered", Slow);
        var received = Assert.Single(_receiver.Received, r => r.Path == $"/hooks/{urlSecret}");
        Assert.Contains("\"event\":\"test\"", received.Body, StringComparison.Ordinal);
        Assert.Equal($"Bearer {token}", received.Headers["Authorization"]);
        await ConsoleBrowser.ScreenshotAsync(page, "settings-notifications");

        // And neither the page nor the API ever shows the URL's path or the token
        await AssertNeverShownAsync(page, urlSecret, token);

        // When they rename it and narrow its rule to one app without re-entering the URL, the stored URL keeps working
        await console.Http.PostAsJsonAsync("/api/apps", new { name = _app, repoUrl = _repo.Path, hosts = new[] { "local" } });
        await ConsoleBrowser.GoAsync(page, console, "/settings/notifications");
        await page.GetByTestId("edit-target-ops-hook").ClickAsync();
        await ConsoleBrowser.Field(page, "target-name").FillAsync("team-hook");
        await page.GetByTestId("rule-events-0").GetByText("Host offline").ClickAsync();
        await page.GetByTestId("save-target").ClickAsync();
        await Assertions.Expect(page.GetByTestId("target-rules-team-hook")).ToContainTextAsync("every app: sync-failed, health-degraded, pending-approval", Slow);
        await page.GetByTestId("test-target-team-hook").ClickAsync();
        await Assertions.Expect(page.GetByTestId("test-result-team-hook")).ToContainTextAsync("delivered", Slow);
        Assert.Equal(2, _receiver.Received.Count(r => r.Path == $"/hooks/{urlSecret}"));

        // When they delete it, it is gone with its rules
        await page.GetByTestId("delete-target-team-hook").ClickAsync();
        await Assertions.Expect(page.GetByTestId("empty-state")).ToContainTextAsync("No notification target yet", Slow);
        Assert.Empty((await console.GetJsonAsync("/api/notifications/targets")).EnumerateArray());
        Assert.Empty((await console.GetJsonAsync("/api/notifications/rules")).EnumerateArray());
    }

    [Fact]
    public async Task Repository_registry_and_webhook_secrets_entered_in_settings_are_never_shown_back()
    {
        var console = _console!;
        var gitToken = "ghp_" + Guid.NewGuid().ToString("N");
        var registryPassword = "reg-" + Guid.NewGuid().ToString("N");
        var webhookSecret = "whs-" + Guid.NewGuid().ToString("N");
        var created = await console.Http.PostAsJsonAsync("/api/apps", new { name = _app, repoUrl = _repo.Path, hosts = new[] { "local" } });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var page = await ConsoleBrowser.SignInAsync(_browser!, console);

        // Repositories: the token is "not set", then replaced, then "set"
        await ConsoleBrowser.GoAsync(page, console, "/settings/repositories");
        var repoRow = page.GetByTestId($"repo-{_app}");
        await Assertions.Expect(repoRow).ToContainTextAsync("not set");
        await page.GetByTestId($"replace-repo-{_app}").ClickAsync();
        await page.GetByTestId("save-repo").ClickAsync();
        await Assertions.Expect(page.GetByTestId("repo-error")).ToContainTextAsync("Enter a new value");
        await ConsoleBrowser.Field(page, "repo-username").FillAsync("deploy-bot");
        await ConsoleBrowser.Field(page, "repo-token").FillAsync(gitToken);
        await page.GetByTestId("save-repo").ClickAsync();
        await Assertions.Expect(repoRow.Locator("td").Nth(4)).ToHaveTextAsync("set", new() { Timeout = 30_000 });
        await Assertions.Expect(repoRow).ToContainTextAsync("deploy-bot");
        await page.GetByTestId($"replace-repo-{_app}").ClickAsync();
        await page.GetByTestId("repo-kind-ssh").ClickAsync();
        await TextArea(page, "repo-ssh-key").FillAsync("not a key");
        await page.GetByTestId("save-repo").ClickAsync();
        await Assertions.Expect(page.GetByTestId("repo-error")).ToContainTextAsync("BEGIN ... PRIVATE KEY");
        await ConsoleBrowser.ScreenshotAsync(page, "settings-repositories", fullPage: true);

        // Registries: a clear message for a missing server, then a login whose password is only "set"
        await ConsoleBrowser.GoAsync(page, console, "/settings/registries");
        await page.GetByTestId("save-registry").ClickAsync();
        await Assertions.Expect(page.GetByTestId("registry-error")).ToContainTextAsync("host[:port]");
        await ConsoleBrowser.Field(page, "registry-server").FillAsync("https://Registry.Example:5000/v2/");
        await ConsoleBrowser.Field(page, "registry-username").FillAsync("puller");
        await ConsoleBrowser.Field(page, "registry-password").FillAsync(registryPassword);
        await page.GetByTestId("save-registry").ClickAsync();
        var registryRow = page.GetByTestId($"registry-{_app}-registry.example:5000");
        await Assertions.Expect(registryRow).ToContainTextAsync("puller", Slow);
        await Assertions.Expect(registryRow.Locator("td").Nth(3)).ToHaveTextAsync("set");
        await ConsoleBrowser.ScreenshotAsync(page, "settings-registries");

        // Webhooks: a short secret is refused with the reason; a good one is "set" and verifies real pushes
        await ConsoleBrowser.GoAsync(page, console, "/settings/webhooks");
        await Assertions.Expect(page.GetByTestId("webhook-secret-state")).ToContainTextAsync("not set");
        using (var anonymous = new HttpClient { BaseAddress = new Uri(console.BaseUrl) })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await PushAsync(anonymous, webhookSecret)).StatusCode);
            await ConsoleBrowser.Field(page, "webhook-secret").FillAsync("short");
            await page.GetByTestId("save-webhook-secret").ClickAsync();
            await Assertions.Expect(page.GetByTestId("webhook-error")).ToContainTextAsync("16 to 512 characters");
            await ConsoleBrowser.Field(page, "webhook-secret").FillAsync(webhookSecret);
            await page.GetByTestId("save-webhook-secret").ClickAsync();
            await Assertions.Expect(page.GetByTestId("webhook-secret-state")).ToContainTextAsync("set here", Slow);
            Assert.Equal(HttpStatusCode.OK, (await PushAsync(anonymous, webhookSecret)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await PushAsync(anonymous, webhookSecret + "x")).StatusCode);
        }
        await Assertions.Expect(page.GetByTestId("webhook-providers")).ToContainTextAsync($"{console.BaseUrl}/api/webhooks/github");
        await ConsoleBrowser.ScreenshotAsync(page, "settings-webhooks");

        // Then no page and no API answer shows any of them, even after a reload
        var view = await console.GetJsonAsync("/api/settings/webhook-secret");
        Assert.True(view.GetProperty("set").GetBoolean());
        Assert.Equal("settings", view.GetProperty("origin").GetString());
        var app = await console.GetJsonAsync($"/api/apps/{_app}");
        Assert.True(app.GetProperty("secrets").GetProperty("gitTokenSet").GetBoolean());
        Assert.Equal(["registry.example:5000"], app.GetProperty("secrets").GetProperty("registryPasswordsSet").EnumerateArray().Select(e => e.GetString()));
        foreach (var path in new[] { "/settings/repositories", "/settings/registries", "/settings/webhooks", "/settings/audit" })
        {
            await ConsoleBrowser.GoAsync(page, console, path);
            await AssertNeverShownAsync(page, gitToken, registryPassword, webhookSecret);
        }
        var secretFile = await File.ReadAllTextAsync(Path.Combine(console.DataDirectory, "webhook-secret"));
        Assert.DoesNotContain(webhookSecret, secretFile, StringComparison.Ordinal);
        Assert.DoesNotContain(gitToken, console.Log, StringComparison.Ordinal);
        Assert.DoesNotContain(registryPassword, console.Log, StringComparison.Ordinal);
        Assert.DoesNotContain(webhookSecret, console.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Editing_an_app_in_settings_keeps_what_the_form_does_not_show_and_saves_its_switches_and_deleting_it_asks_first()
    {
        var console = _console!;
        // Given an app with variables, approval on its host and a registry login, none of which the form shows
        var created = await console.Http.PostAsJsonAsync("/api/apps", new
        {
            name = _app,
            repoUrl = _repo.Path,
            hosts = new[] { "local" },
            variables = new Dictionary<string, string> { ["TAG"] = "1" },
            policy = new { approvalHosts = new[] { "local" } },
            registries = new[] { new { server = "registry.example:5000", username = "puller", password = "reg-" + Guid.NewGuid().ToString("N") } },
        });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var page = await ConsoleBrowser.SignInAsync(_browser!, console);
        await ConsoleBrowser.GoAsync(page, console, "/settings/apps");

        // When the admin edits it, turns self-heal off and saves
        await page.Locator("tr", new() { HasText = _app }).GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        await Assertions.Expect(ConsoleBrowser.Field(page, "app-name")).ToHaveValueAsync(_app);
        await Assertions.Expect(ConsoleBrowser.Field(page, "app-self-heal")).ToBeCheckedAsync();
        await ConsoleBrowser.Field(page, "app-self-heal").ClickAsync();
        await page.GetByTestId("save-app").ClickAsync();
        await ConsoleBrowser.ExpectAppPageAsync(page, _app);

        // Then self-heal is off and everything the form did not show is still there
        var app = await console.GetJsonAsync($"/api/apps/{_app}");
        Assert.False(app.GetProperty("policy").GetProperty("selfHeal").GetBoolean());
        Assert.True(app.GetProperty("policy").GetProperty("automated").GetBoolean());
        Assert.Equal(["local"], app.GetProperty("policy").GetProperty("approvalHosts").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("1", app.GetProperty("variables").GetProperty("TAG").GetString());
        Assert.Equal(["registry.example:5000"], app.GetProperty("secrets").GetProperty("registryPasswordsSet").EnumerateArray().Select(e => e.GetString()));

        // When the same name is saved from a fresh form (not through Edit) with another host list
        await ConsoleBrowser.GoAsync(page, console, "/settings/apps");
        await ConsoleBrowser.Field(page, "app-name").FillAsync(_app);
        await ConsoleBrowser.Field(page, "app-repo").FillAsync(_repo.Path);
        await ConsoleBrowser.Field(page, "app-hosts").FillAsync("local, nas");
        await page.GetByTestId("save-app").ClickAsync();
        await ConsoleBrowser.ExpectAppPageAsync(page, _app);

        // Then the form's fields change and the rest is kept
        app = await console.GetJsonAsync($"/api/apps/{_app}");
        Assert.Equal(["local", "nas"], app.GetProperty("hosts").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("1", app.GetProperty("variables").GetProperty("TAG").GetString());
        Assert.Equal(["local"], app.GetProperty("policy").GetProperty("approvalHosts").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["registry.example:5000"], app.GetProperty("secrets").GetProperty("registryPasswordsSet").EnumerateArray().Select(e => e.GetString()));

        // When the admin deletes it, a dialog names the app and says what happens; cancelling keeps it
        await ConsoleBrowser.GoAsync(page, console, "/settings/apps");
        var row = page.Locator("tr", new() { HasText = _app });
        await page.GetByTestId($"delete-app-{_app}").ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Assertions.Expect(dialog).ToContainTextAsync($"Delete {_app}?");
        await Assertions.Expect(dialog).ToContainTextAsync("removes its containers and networks from every host");
        await Assertions.Expect(dialog).ToContainTextAsync("Named volumes");
        await ConsoleBrowser.ScreenshotAsync(page, "settings-delete-app");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        await Assertions.Expect(row).ToHaveCountAsync(1);

        // When they confirm, the row goes without a reload, the API no longer knows the app, and the audit log says who
        await page.GetByTestId($"delete-app-{_app}").ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = $"Delete {_app}" }).ClickAsync();
        await Assertions.Expect(row).ToHaveCountAsync(0, new() { Timeout = 30_000 });
        Assert.Equal(HttpStatusCode.NotFound, (await console.Http.GetAsync($"/api/apps/{_app}")).StatusCode);
        var audit = (await console.GetJsonAsync("/api/audit")).EnumerateArray();
        Assert.Contains(audit, e => e.GetProperty("action").GetString() == "app.delete" && e.GetProperty("target").GetString() == _app);
        await ConsoleBrowser.GoAsync(page, console, "/apps");
        await Assertions.Expect(page.GetByTestId("empty-state")).ToContainTextAsync("No apps yet");
    }

    [Fact]
    public async Task On_the_host_page_an_admin_rotates_the_credential_revokes_the_host_and_issues_a_new_join_token()
    {
        var console = _console!;
        var page = await ConsoleBrowser.SignInAsync(_browser!, console);
        await ConsoleBrowser.GoAsync(page, console, "/hosts/local");
        await Assertions.Expect(page.GetByTestId("host-connection")).ToHaveTextAsync("online", new() { Timeout = 60_000 });
        var credentialFile = Directory.GetFiles(console.DataDirectory, "credential", SearchOption.AllDirectories).Single();
        var before = await File.ReadAllTextAsync(credentialFile);

        // When the admin rotates the credential, the agent gets a new one over its connection and stays online
        await page.GetByTestId("rotate").ClickAsync();
        await Assertions.Expect(page.GetByTestId("host-action-result")).ToContainTextAsync("A new credential was sent", Slow);
        await Eventually.Until(() => File.ReadAllTextAsync(credentialFile), now => now != before, TimeSpan.FromSeconds(30), "the agent to store its rotated credential");
        await Assertions.Expect(page.GetByTestId("host-connection")).ToHaveTextAsync("online", new() { Timeout = 30_000 });
        await ConsoleBrowser.ScreenshotAsync(page, "host-rotated");

        // When they revoke the host (after confirming), its agent is cut off and the page says so
        await page.GetByTestId("revoke").ClickAsync();
        await Assertions.Expect(page.GetByTestId("revoke-confirm")).ToContainTextAsync("needs a new join token");
        await page.GetByTestId("confirm-revoke").ClickAsync();
        await Assertions.Expect(page.GetByTestId("host-action-result")).ToContainTextAsync("is revoked", Slow);
        await Assertions.Expect(page.GetByTestId("host-enrollment")).ToHaveTextAsync("revoked", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("host-connection")).ToContainTextAsync("offline since", Slow);

        // When they issue a new join token, the page shows the install command carrying it once
        await page.GetByTestId("join-token").ClickAsync();
        await Assertions.Expect(page.GetByTestId("join-command")).ToContainTextAsync("cjt_", Slow);
        await Assertions.Expect(page.GetByTestId("host-enrollment")).Not.ToHaveTextAsync("revoked", new() { Timeout = 30_000 });
        await ConsoleBrowser.ScreenshotAsync(page, "host-join-token");
        var audit = (await console.GetJsonAsync("/api/audit")).EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Contains("host.rotate", audit);
        Assert.Contains("host.revoke", audit);
        Assert.Contains("host.join-token", audit);
    }

    private static ILocator TextArea(IPage page, string testId) =>
        page.Locator($"textarea[data-testid={testId}], [data-testid={testId}] textarea").First;

    private static Task<HttpResponseMessage> PushAsync(HttpClient client, string secret)
    {
        var body = Encoding.UTF8.GetBytes("{\"zen\":\"ping\"}");
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/github") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body)));
        return client.SendAsync(request);
    }

    /// <summary>Neither the rendered page nor any settings API answer contains a secret.</summary>
    private async Task AssertNeverShownAsync(IPage page, params string[] secrets)
    {
        var html = await page.ContentAsync();
        var answers = new List<string>();
        foreach (var path in new[] { "/api/apps", $"/api/apps/{_app}", "/api/notifications/targets", "/api/notifications/rules", "/api/settings/webhook-secret", "/api/audit" })
        {
            using var response = await _console!.Http.GetAsync(path);
            answers.Add(await response.Content.ReadAsStringAsync());
        }
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, html, StringComparison.Ordinal);
            Assert.All(answers, answer => Assert.DoesNotContain(secret, answer, StringComparison.Ordinal));
        }
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        _playwright?.Dispose();
        if (_console is not null)
        {
            output.WriteLine(_console.Log);
            await _console.DisposeAsync();
        }
        await _docker.RemoveAppAsync(_app);
        _docker.Dispose();
        _receiver.Dispose();
        _repo.Dispose();
    }
}
