using System.Net.Http.Json;
using ConOps.IntegrationTests.Support;
using Docker.DotNet.Models;
using Microsoft.Playwright;
using Xunit.Abstractions;
using SupportBrowser = ConOps.IntegrationTests.Support.Browser;

namespace ConOps.IntegrationTests.Ui;

/// <summary>
/// A new user's first hour, in Debian's Chromium against the real console, its local agent and the real
/// engine: set up the admin with the code from the log, add an app, watch it go green, break it by hand
/// and watch it heal. Screenshots of every page land in artifacts/screenshots (docs/screenshots with CONOPS_UPDATE_SCREENSHOTS=1).
/// </summary>
[Collection(RealEngine.Name)]
public sealed class ConsoleJourneyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly PageAssertionsToHaveURLOptions Slow = new() { Timeout = 30_000 };
    private readonly DockerEngine _docker = new();
    private readonly GitRepo _repo = new();
    private readonly string _app = "ui-" + Guid.NewGuid().ToString("N")[..6];
    // An owner folder on the test git HTTP server, so a repository there has a forge's owner/repo.git layout.
    private readonly string _servedOwner = Path.Combine(TestEnvironment.Require("CONOPS_TEST_GIT_ROOT"), "team-" + Guid.NewGuid().ToString("N")[..6]);
    private ConsoleProcess? _console;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        _repo.Commit("Serve the greeting", ("compose.yaml", Compose("httpd -f -p 8080 -h /www")));
        _console = await ConsoleProcess.StartAsync(new Dictionary<string, string>
        {
            ["ConOps:Console:PollInterval"] = "00:00:01",
            ["ConOps:LocalAgent:Enabled"] = "true",
        });
        (_playwright, _browser) = await SupportBrowser.LaunchAsync();
    }

    [Fact]
    public async Task A_new_admin_adds_an_app_watches_it_go_green_and_heal_after_a_manual_stop()
    {
        var console = _console!;
        var page = await ConsoleBrowser.NewPageAsync(_browser!);

        // Given a fresh console: any page leads to the setup page, which wants the code from the log
        await page.GotoAsync(console.BaseUrl + "/");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/setup$"), Slow);
        await ConsoleBrowser.ScreenshotAsync(page, "setup");
        await page.Locator("#code").FillAsync("WRONG-CODE-0000");
        await page.Locator("#username").FillAsync("alice");
        await page.Locator("#password").FillAsync(ConsoleBrowser.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create admin and sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("setup-error")).ToContainTextAsync("not the current setup code");

        // When the admin enters the right code
        await page.Locator("#code").FillAsync(ConsoleBrowser.SetupCode(console).ToLowerInvariant());
        await page.Locator("#username").FillAsync("alice");
        await page.Locator("#password").FillAsync(ConsoleBrowser.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create admin and sign in" }).ClickAsync();

        // Then they are signed in on the fleet page, which shows the local host online
        await ConsoleBrowser.WaitReadyAsync(page);
        await Assertions.Expect(page.GetByTestId("whoami")).ToContainTextAsync("alice · admin");
        await Assertions.Expect(page.GetByTestId("host-local")).ToBeVisibleAsync(new() { Timeout = 30_000 });

        // When they add an app in Settings › Apps
        await ConsoleBrowser.GoAsync(page, console, "/settings/apps");
        await ConsoleBrowser.Field(page, "app-name").FillAsync(_app);
        await ConsoleBrowser.Field(page, "app-repo").FillAsync(_repo.Path);
        await ConsoleBrowser.Field(page, "app-hosts").FillAsync("local");
        await page.GetByTestId("save-app").ClickAsync();

        // Then its page shows the web service synced and healthy, desired next to live
        await ConsoleBrowser.ExpectAppPageAsync(page, _app);
        await Assertions.Expect(page.GetByTestId($"app-sync-local-{_app}-web")).ToHaveTextAsync("Synced", new() { Timeout = 60_000 });
        await Assertions.Expect(page.GetByTestId($"app-health-local-{_app}-web")).ToHaveTextAsync("Healthy", new() { Timeout = 60_000 });
        await Assertions.Expect(page.GetByTestId("host-section-local")).ToContainTextAsync("environment.GREETING");
        await ConsoleBrowser.ScreenshotAsync(page, "app", fullPage: true);

        // And the fleet page shows it green
        await ConsoleBrowser.GoAsync(page, console, "/");
        var sync = page.GetByTestId($"sync-local-{_app}-web");
        var health = page.GetByTestId($"health-local-{_app}-web");
        await Assertions.Expect(sync).ToHaveTextAsync("Synced", new() { Timeout = 30_000 });
        await Assertions.Expect(health).ToHaveTextAsync("Healthy", new() { Timeout = 30_000 });
        await ConsoleBrowser.ScreenshotAsync(page, "fleet");

        // When someone stops the container by hand (the page records every badge state it is pushed)
        await page.EvaluateAsync("""
            (ids) => {
              window.__seen = [];
              const note = () => {
                const s = document.querySelector(`[data-testid="${ids[0]}"]`), h = document.querySelector(`[data-testid="${ids[1]}"]`);
                const state = `${s?.textContent}/${h?.textContent}`;
                if (window.__seen[window.__seen.length - 1] !== state) window.__seen.push(state);
              };
              new MutationObserver(note).observe(document.querySelector('[data-testid="services"]'), { subtree: true, childList: true, characterData: true });
            }
            """, new[] { $"sync-local-{_app}-web", $"health-local-{_app}-web" });
        var container = (await _docker.ManagedContainersAsync(_app)).Single(c => c.Labels["com.docker.compose.service"] == "web");
        var before = await _docker.Client.Containers.InspectContainerAsync(container.ID);
        await _docker.Client.Containers.StopContainerAsync(container.ID, new ContainerStopParameters { WaitBeforeKillSeconds = 1 });

        // Then the agent starts it again and the page, never reloaded, shows it green
        // (the agent heals before it reports, so the red moment may be too short to be pushed)
        await Eventually.Until(
            () => _docker.Client.Containers.InspectContainerAsync(container.ID),
            c => c.State.Running && c.State.StartedAt != before.State.StartedAt,
            TimeSpan.FromSeconds(60),
            "the agent to start the stopped container again");
        await Assertions.Expect(health).ToHaveTextAsync("Healthy", new() { Timeout = 30_000 });
        await Assertions.Expect(sync).ToHaveTextAsync("Synced", new() { Timeout = 30_000 });
        output.WriteLine("badge states seen after the stop: " + string.Join(" -> ", await page.EvaluateAsync<string[]>("() => window.__seen")));

        // When a commit makes the service crash, the badge turns red; when the next commit fixes it, green again
        await page.EvaluateAsync("() => { window.__seen = []; }");
        _repo.Commit("Crash on start", ("compose.yaml", Compose("exit 3")));
        await Assertions.Expect(health).Not.ToHaveTextAsync("Healthy", new() { Timeout = 60_000 });
        await Assertions.Expect(health).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("conops-health-(degraded|missing)"), new() { Timeout = 60_000 });
        await ConsoleBrowser.ScreenshotAsync(page, "fleet-degraded");
        var running = _repo.Commit("Serve again", ("compose.yaml", Compose("httpd -f -p 8080 -h /www")));
        await Assertions.Expect(health).ToHaveTextAsync("Healthy", new() { Timeout = 60_000 });
        await Assertions.Expect(sync).ToHaveTextAsync("Synced", new() { Timeout = 60_000 });
        output.WriteLine("badge states seen through the crash and the fix: " + string.Join(" -> ", await page.EvaluateAsync<string[]>("() => window.__seen")));

        // An operator tails the ticker's log live: colours, search with highlight, pause
        await ConsoleBrowser.GoAsync(page, console, $"/logs?s=local/{_app}/ticker&tail=20");
        var lines = page.GetByTestId("log-lines");
        await Assertions.Expect(lines).ToContainTextAsync("tick", new() { Timeout = 30_000 });
        await Assertions.Expect(lines.Locator(".ansi-fg-2").First).ToHaveTextAsync("tick", new() { Timeout = 10_000 });
        var statsBefore = await page.GetByTestId("log-stats").TextContentAsync();
        await Assertions.Expect(page.GetByTestId("log-stats")).Not.ToHaveTextAsync(statsBefore!, new() { Timeout = 10_000 });
        await ConsoleBrowser.ScreenshotAsync(page, "logs");
        await ConsoleBrowser.Field(page, "log-search").FillAsync("TICK");
        await Assertions.Expect(lines.Locator("mark").First).ToHaveTextAsync("tick", new() { Timeout = 10_000 });
        await page.GetByTestId("log-pause").ClickAsync();
        await Assertions.Expect(page.GetByTestId("log-pause")).ToContainTextAsync("Resume", new() { Timeout = 10_000 });

        // And the history shows the first deployment and the self-heal
        await ConsoleBrowser.GoAsync(page, console, $"/history?app={_app}");
        await Assertions.Expect(page.GetByTestId("release-message").Filter(new() { HasText = "Serve the greeting" })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("history")).ToContainTextAsync("self-heal", new() { Timeout = 30_000 });
        await ConsoleBrowser.ScreenshotAsync(page, "history");

        // The other pages, each looked at. On the Apps page a commit of a repository at a forge-shaped http(s) URL
        // (owner/repo.git, here on the test git server) links to its commit page; a commit of any other repository
        // (this local path) is text with the full hash as tooltip.
        var (linkedApp, linkedCommit, linkedPage) = await AddAppServedOverHttpAsync(console);
        await ConsoleBrowser.GoAsync(page, console, "/apps");
        await Assertions.Expect(page.GetByTestId("apps")).ToContainTextAsync(_app);
        var commitLink = page.Locator($"a[data-testid=commit-{linkedApp}]");
        await Assertions.Expect(commitLink).ToHaveAttributeAsync("href", linkedPage);
        await Assertions.Expect(commitLink).ToHaveTextAsync(linkedCommit[..12]);
        await Assertions.Expect(commitLink).ToHaveAttributeAsync("title", linkedCommit);
        await Assertions.Expect(page.Locator($"span[data-testid=commit-{_app}]")).ToHaveAttributeAsync("title", running);
        await ConsoleBrowser.ScreenshotAsync(page, "apps");
        await ConsoleBrowser.GoAsync(page, console, $"/apps/{linkedApp}");
        await Assertions.Expect(page.Locator("a[data-testid=app-commit]")).ToHaveAttributeAsync("href", linkedPage);
        // (removed again so the pages below show only the deployed app)
        Assert.True((await console.Http.DeleteAsync($"/api/apps/{linkedApp}")).IsSuccessStatusCode);
        await ConsoleBrowser.GoAsync(page, console, "/hosts");
        await Assertions.Expect(page.GetByTestId("hosts-table")).ToContainTextAsync("online");
        await ConsoleBrowser.ScreenshotAsync(page, "hosts");
        await ConsoleBrowser.GoAsync(page, console, "/hosts/local");
        await Assertions.Expect(page.GetByTestId("host-connection")).ToHaveTextAsync("online");
        await ConsoleBrowser.ScreenshotAsync(page, "host");

        // An API token is shown once, then only its prefix
        await ConsoleBrowser.GoAsync(page, console, "/settings/tokens");
        await ConsoleBrowser.Field(page, "token-name").FillAsync("ci");
        await page.GetByTestId("create-token").ClickAsync();
        var token = (await page.GetByTestId("new-token-value").TextContentAsync())!.Trim();
        Assert.StartsWith("conops_", token, StringComparison.Ordinal);
        using (var client = new HttpClient { BaseAddress = new Uri(console.BaseUrl) })
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", token);
            Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/api/services")).StatusCode);
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await client.PostAsync($"/api/apps/{_app}/sync", null)).StatusCode);
        }
        await ConsoleBrowser.ScreenshotAsync(page, "settings-tokens");
        await ConsoleBrowser.GoAsync(page, console, "/settings/audit");
        await Assertions.Expect(page.GetByTestId("audit")).ToContainTextAsync("app.save");
        await Assertions.Expect(page.GetByTestId("audit")).ToContainTextAsync("token.create");
        await ConsoleBrowser.ScreenshotAsync(page, "settings-audit");
        await ConsoleBrowser.GoAsync(page, console, "/settings/apps");
        await ConsoleBrowser.ScreenshotAsync(page, "settings-apps");
        // Signing in through the setup page counts as a sign-in
        await ConsoleBrowser.GoAsync(page, console, "/settings/users");
        await Assertions.Expect(page.GetByTestId("users").Locator("tr", new() { HasText = "alice" })).Not.ToContainTextAsync("never");

        // Dark theme and a phone-sized screen
        var dark = await ConsoleBrowser.SignInAsync(_browser!, console, "operator", colorScheme: ColorScheme.Dark);
        await Assertions.Expect(dark.GetByTestId($"health-local-{_app}-web")).ToHaveTextAsync("Healthy", new() { Timeout = 30_000 });
        await ConsoleBrowser.ScreenshotAsync(dark, "fleet-dark");
        var phone = await ConsoleBrowser.SignInAsync(_browser!, console, "viewer", viewport: new ViewportSize { Width = 390, Height = 844 });
        await Assertions.Expect(phone.GetByTestId($"health-local-{_app}-web")).ToHaveTextAsync("Healthy", new() { Timeout = 30_000 });
        await ConsoleBrowser.ScreenshotAsync(phone, "fleet-phone");

        // A viewer sees no Sync button and cannot open settings
        await ConsoleBrowser.GoAsync(phone, console, $"/apps/{_app}");
        await Assertions.Expect(phone.GetByTestId($"app-health-local-{_app}-web")).ToHaveTextAsync("Healthy", new() { Timeout = 30_000 });
        await Assertions.Expect(phone.GetByTestId("sync")).ToHaveCountAsync(0);
        await phone.GotoAsync(console.BaseUrl + "/settings");
        await Assertions.Expect(phone).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/denied"), Slow);
    }

    [Fact]
    public async Task An_operator_approves_each_change_before_it_deploys_and_rolls_back_from_the_history()
    {
        var console = _console!;
        // Given an app whose changes on "local" wait for approval
        var created = await console.Http.PostAsJsonAsync("/api/apps", new { name = _app, repoUrl = _repo.Path, hosts = new[] { "local" }, policy = new { approvalHosts = new[] { "local" } } });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var page = await ConsoleBrowser.SignInAsync(_browser!, console, "operator");
        await ConsoleBrowser.GoAsync(page, console, $"/apps/{_app}");

        // When the operator approves the first version, it deploys
        await Assertions.Expect(page.GetByTestId("pending-local")).ToContainTextAsync("Serve the greeting", new() { Timeout = 60_000 });
        await page.GetByTestId("approve-local").ClickAsync();
        await Assertions.Expect(page.GetByTestId($"app-health-local-{_app}-web")).ToHaveTextAsync("Healthy", new() { Timeout = 60_000 });
        Assert.Contains("GREETING=hello", await EnvironmentAsync());

        // When a commit changes the greeting, the page shows the plan and nothing deploys until approval
        _repo.Commit("Greet in French", ("compose.yaml", Compose("httpd -f -p 8080 -h /www").Replace("GREETING: hello", "GREETING: bonjour", StringComparison.Ordinal)));
        await Assertions.Expect(page.GetByTestId("pending-local")).ToContainTextAsync("Greet in French", new() { Timeout = 60_000 });
        await Assertions.Expect(page.GetByTestId("pending-plan-local")).ToContainTextAsync("environment");
        Assert.Contains("GREETING=hello", await EnvironmentAsync());
        await ConsoleBrowser.ScreenshotAsync(page, "app-approval", fullPage: true);

        // And an open fleet page lists it, then drops it once approved, without a reload (pushed by the sync side)
        var fleet = await ConsoleBrowser.SignInAsync(_browser!, console, "viewer");
        await Assertions.Expect(fleet.GetByTestId($"pending-approval-{_app}-local")).ToContainTextAsync("web: change (environment)", new() { Timeout = 30_000 });
        await ConsoleBrowser.ScreenshotAsync(fleet, "fleet-approval");
        await page.GetByTestId("approve-local").ClickAsync();
        await Assertions.Expect(fleet.GetByTestId("pending-approvals")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
        await Eventually.Until(EnvironmentAsync, env => env.Contains("GREETING=bonjour"), TimeSpan.FromSeconds(60), "the approved change to run");

        // When the operator rolls back to the first release from the history
        await ConsoleBrowser.GoAsync(page, console, $"/history?app={_app}");
        var first = page.GetByTestId("release").Filter(new() { HasText = "Serve the greeting" }).Filter(new() { HasText = "succeeded" }).Last;
        await Assertions.Expect(first).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await ConsoleBrowser.ScreenshotAsync(page, "history-rollback");
        await first.GetByRole(AriaRole.Button, new() { Name = "Roll back to this release" }).ClickAsync();

        // Then the first version runs again and the app page says automated sync is paused there
        await Eventually.Until(EnvironmentAsync, env => env.Contains("GREETING=hello"), TimeSpan.FromSeconds(60), "the rolled-back release to run");
        await ConsoleBrowser.GoAsync(page, console, $"/apps/{_app}");
        await Assertions.Expect(page.GetByTestId("paused-local")).ToContainTextAsync("rolled back", new() { Timeout = 30_000 });
        var audit = await console.GetJsonAsync("/api/audit");
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "app.rollback" && e.GetProperty("actor").GetString()!.StartsWith("operator-", StringComparison.Ordinal));
    }

    /// <summary>
    /// Publishes the repository on the test git HTTP server as &lt;owner&gt;/&lt;repo&gt;.git, adds an app for it (on a host
    /// that never connects: only its render matters) and waits until the console has rendered its commit.
    /// </summary>
    private async Task<(string App, string Commit, string CommitPage)> AddAppServedOverHttpAsync(ConsoleProcess console)
    {
        var app = _app + "-http";
        var server = new Uri(TestEnvironment.Require("CONOPS_TEST_GIT_HTTP"));
        var user = TestEnvironment.Require("CONOPS_TEST_GIT_HTTP_USER");
        Directory.CreateDirectory(_servedOwner);
        var bare = Path.Combine(_servedOwner, app + ".git");
        _repo.Git("init", "-q", "--bare", bare);
        _repo.Git("push", "-q", bare, "main");
        var commit = _repo.Git("rev-parse", "HEAD").Trim();
        var repoPath = $"{Path.GetFileName(_servedOwner)}/{app}";
        var created = await console.Http.PostAsJsonAsync("/api/apps", new
        {
            name = app,
            repoUrl = $"{server.Scheme}://{server.Authority}/{repoPath}.git",
            hosts = new[] { "elsewhere" },
            git = new { username = user, password = TestEnvironment.Require("CONOPS_TEST_GIT_HTTP_PASSWORD") },
        });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        await Eventually.Until(() => console.GetJsonAsync($"/api/apps/{app}"), a => a.GetProperty("commit").GetString() == commit, TimeSpan.FromSeconds(30), $"{app} to render its commit");
        return (app, commit, $"{server.Scheme}://{server.Authority}/{repoPath}/commit/{commit}");
    }

    private async Task<string> EnvironmentAsync()
    {
        var web = (await _docker.ManagedContainersAsync(_app)).Single(c => c.Labels["com.docker.compose.service"] == "web");
        return string.Join(' ', (await _docker.Client.Containers.InspectContainerAsync(web.ID)).Config.Env);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_and_a_signed_out_browser_is_sent_to_sign_in()
    {
        var console = _console!;
        await console.Http.PostAsJsonAsync("/api/users", new { name = "bob", password = ConsoleBrowser.Password, role = "viewer" });
        var page = await ConsoleBrowser.NewPageAsync(_browser!);

        await page.GotoAsync(console.BaseUrl + "/history");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login\\?ReturnUrl=%2Fhistory$"), Slow);
        await page.Locator("#username").FillAsync("bob");
        await page.Locator("#password").FillAsync("not the password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("login-error")).ToHaveTextAsync("Wrong user name or password.");
        await ConsoleBrowser.ScreenshotAsync(page, "login");

        await page.Locator("#username").FillAsync("bob");
        await page.Locator("#password").FillAsync(ConsoleBrowser.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await ConsoleBrowser.WaitReadyAsync(page);
        Assert.EndsWith("/history", page.Url, StringComparison.Ordinal);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login$"), Slow);
        await page.GotoAsync(console.BaseUrl + "/");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login"), Slow);
    }

    private static string Compose(string command) => $$"""
        services:
          web:
            image: conops-test/web:1
            command: ["sh", "-c", "{{command}}"]
            environment:
              GREETING: hello
            labels:
              example.team: ui
          ticker:
            image: conops-test/web:1
            command: ["sh", "-c", "i=0; while true; do i=$$((i+1)); printf '\\033[32mtick\\033[0m %s\\n' $$i; sleep 0.2; done"]
        """;

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
        _repo.Dispose();
        if (Directory.Exists(_servedOwner))
        {
            Directory.Delete(_servedOwner, recursive: true);
        }
    }
}
