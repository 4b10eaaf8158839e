using System.Net.Http.Json;
using ConOps.IntegrationTests.Support;
using ConOps.IntegrationTests.Ui;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ConOps.IntegrationTests.EndToEnd;

/// <summary>The dashboard in a real browser follows the fleet without a reload.</summary>
[Collection(RealEngine.Name)]
public sealed class DashboardTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_dashboard_follows_deploys_and_errors_without_a_reload()
    {
        using var docker = new DockerEngine();
        using var repo = new GitRepo();
        var app = "dash-" + Guid.NewGuid().ToString("N")[..6];
        repo.Commit("web", ("compose.yaml", """
            services:
              web:
                image: conops-test/web:1
                command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
            """));
        await using var console = await ConsoleProcess.StartAsync(new Dictionary<string, string>
        {
            ["ConOps:Console:PollInterval"] = "00:00:01",
            ["ConOps:LocalAgent:Enabled"] = "true",
        });
        var (playwright, browser) = await Browser.LaunchAsync();
        try
        {
            // Given the fleet page is open (signed in) before the app exists
            var page = await ConsoleBrowser.SignInAsync(browser, console, "viewer");
            var badge = page.GetByTestId($"sync-local-{app}-web");

            // When the app is declared, its service appears as synced, pushed to the open page
            await console.Http.PostAsJsonAsync("/api/apps", new { name = app, repoUrl = repo.Path, hosts = new[] { "local" } });
            await Assertions.Expect(badge).ToHaveTextAsync("Synced", new() { Timeout = 45_000 });

            // When a commit breaks the compose file, the app's error shows (the last good state keeps running); when the next commit fixes it, it goes away
            repo.Commit("break", ("compose.yaml", "services:\n  web:\n    image: [oops\n"));
            await Assertions.Expect(page.GetByTestId("app-error").Filter(new() { HasText = app })).ToBeVisibleAsync(new() { Timeout = 30_000 });
            repo.Commit("fix", ("compose.yaml", "services:\n  web:\n    image: conops-test/web:2\n"));
            await Assertions.Expect(page.GetByTestId("app-error").Filter(new() { HasText = app })).ToHaveCountAsync(0, new() { Timeout = 45_000 });
            await Assertions.Expect(badge).ToHaveTextAsync("Synced", new() { Timeout = 45_000 });
            await Assertions.Expect(page.GetByTestId("services")).ToContainTextAsync("conops-test/web:2", new() { Timeout = 30_000 });

            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Path.GetTempPath(), $"{app}-dashboard.png") });
            Assert.Equal("/", new Uri(page.Url).AbsolutePath);
            Assert.Equal(1, await page.EvaluateAsync<int>("() => performance.getEntriesByType('navigation').length"));
        }
        finally
        {
            output.WriteLine(console.Log);
            await browser.DisposeAsync();
            playwright.Dispose();
            await docker.RemoveAppAsync(app);
        }
    }
}
