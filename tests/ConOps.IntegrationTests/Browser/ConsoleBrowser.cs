using System.Net.Http.Json;
using System.Text.RegularExpressions;
using ConOps.IntegrationTests.Support;
using Microsoft.Playwright;

namespace ConOps.IntegrationTests.Ui;

/// <summary>Signs a real browser in to a real console and keeps screenshots where the docs use them.</summary>
public static partial class ConsoleBrowser
{
    public const string Password = "correct horse battery";

    /// <summary>Creates a user with the admin API token, signs in through the login form, and waits for the live page.</summary>
    public static async Task<IPage> SignInAsync(IBrowser browser, ConsoleProcess console, string role = "admin", string? user = null, ViewportSize? viewport = null, ColorScheme colorScheme = ColorScheme.Light)
    {
        user ??= role + "-" + Guid.NewGuid().ToString("N")[..4];
        var created = await console.Http.PostAsJsonAsync("/api/users", new { name = user, password = Password, role });
        if (!created.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Could not create user {user}: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        }
        var page = await NewPageAsync(browser, viewport, colorScheme);
        await page.GotoAsync($"{console.BaseUrl}/login");
        await page.Locator("#username").FillAsync(user);
        await page.Locator("#password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await WaitReadyAsync(page);
        return page;
    }

    public static async Task<IPage> NewPageAsync(IBrowser browser, ViewportSize? viewport = null, ColorScheme colorScheme = ColorScheme.Light)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = viewport ?? new ViewportSize { Width = 1400, Height = 800 },
            ColorScheme = colorScheme,
            AcceptDownloads = true,
        });
        return await context.NewPageAsync();
    }

    /// <summary>Waits until the interactive circuit has rendered (clicks on prerendered HTML do nothing).</summary>
    public static async Task WaitReadyAsync(IPage page) =>
        await page.WaitForSelectorAsync("body[data-conops-ready=true]", new() { Timeout = 30_000 });

    /// <summary>Navigates inside the app and waits for the live page.</summary>
    public static async Task GoAsync(IPage page, ConsoleProcess console, string path)
    {
        await page.GotoAsync(console.BaseUrl + path);
        await WaitReadyAsync(page);
    }

    /// <summary>
    /// Waits until the browser shows an app's page, as the user sees it: the address and the heading with its name.
    /// Polls the page instead of waiting for a navigation event: Blazor navigates inside the page (history.pushState),
    /// and on a loaded machine that can happen before a navigation wait starts listening, which then never returns.
    /// </summary>
    public static async Task ExpectAppPageAsync(IPage page, string app)
    {
        var slow = new PageAssertionsToHaveURLOptions { Timeout = 30_000 };
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/apps/{Regex.Escape(Uri.EscapeDataString(app))}$"), slow);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = app, Exact = true })).ToBeVisibleAsync(new() { Timeout = 30_000 });
    }

    /// <summary>A MudBlazor text field's input, wherever the test id landed (the input or its wrapper).</summary>
    public static ILocator Field(IPage page, string testId) =>
        page.Locator($"input[data-testid={testId}], [data-testid={testId}] input").First;

    /// <summary>The one-time setup code the console printed in its log.</summary>
    public static string SetupCode(ConsoleProcess console) =>
        SetupCodePattern().Matches(console.Log) is { Count: > 0 } matches
            ? matches[^1].Groups[1].Value
            : throw new InvalidOperationException("The console did not print a setup code:\n" + console.Log);

    /// <summary>
    /// Saves a screenshot and returns its path: in artifacts/screenshots, so a test run leaves the tree clean, or in
    /// docs/screenshots (what the README shows) when CONOPS_UPDATE_SCREENSHOTS=1 asks to refresh them.
    /// </summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name, bool fullPage = false)
    {
        var folder = Environment.GetEnvironmentVariable("CONOPS_UPDATE_SCREENSHOTS") == "1"
            ? Path.Combine(TestEnvironment.RepoRoot, "docs", "screenshots")
            : Path.Combine(TestEnvironment.RepoRoot, "artifacts", "screenshots");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = fullPage });
        return path;
    }

    [GeneratedRegex("setup code ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})")]
    private static partial Regex SetupCodePattern();
}
