// UI benchmark: the real console process (Release), N simulated agents on the real protocol, and Debian's
// Chromium driven by Playwright. Measures: fleet page first render with every service, the delay from an
// agent reporting a status change to the badge changing in the browser, and the log view's longest
// blocked frame while a service writes 10,000 lines per second.
//
//   dotnet build -c Release bench/ui && dotnet run -c Release --no-build --project bench/ui -- --hosts 500 --services 20
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using ConOps.Agent.Connection;
using ConOps.Bench.Ui;
using ConOps.Contract;
using Microsoft.Playwright;

var hosts = Arg("--hosts", 500);
var services = Arg("--services", 20);
var logRate = Arg("--log-lines-per-second", 10_000);
var logSeconds = Arg("--log-seconds", 20);
var total = hosts * services;
Console.WriteLine($"UI bench: {hosts} hosts x {services} services = {total:N0} services; log view at {logRate:N0} lines/s for {logSeconds} s");

await using var console = await ConsoleUnderTest.StartAsync(FindRepoRoot());
using var http = new HttpClient { BaseAddress = new Uri(console.UiUrl), Timeout = TimeSpan.FromMinutes(5) };
http.DefaultRequestHeaders.Authorization = new("Bearer", console.AdminToken);

// Enrollment as an admin and real agents do it: create the host, trade the join token for a credential.
var clock = Stopwatch.StartNew();
var agents = new SimulatedHost[hosts];
await Parallel.ForEachAsync(Enumerable.Range(0, hosts), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
{
    var name = $"sim-{i:D4}";
    var response = await http.PostAsJsonAsync("/api/hosts", new { name }, ct);
    response.EnsureSuccessStatusCode();
    var join = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
    var fingerprint = join.GetProperty("certificateFingerprint").GetString()!;
    using var channel = ConsoleChannel.Open(console.AgentUrl, fingerprint, allowPlaintext: false);
    var enrolled = await new AgentHub.AgentHubClient(channel.Channel).EnrollAsync(new EnrollRequest { JoinToken = join.GetProperty("joinToken").GetString()!, AgentId = name }, cancellationToken: ct);
    agents[i] = new SimulatedHost(enrolled.HostName, enrolled.Credential, services, console.AgentUrl, fingerprint, logRate);
});
await Parallel.ForEachAsync(agents, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (agent, _) => await agent.ConnectAsync());
while ((await http.GetFromJsonAsync<JsonElement>("/api/services")).GetArrayLength() < total)
{
    await Task.Delay(250);
}
Console.WriteLine($"{hosts} hosts enrolled and connected, {total:N0} services reported, in {clock.Elapsed.TotalSeconds:0.0} s");

(await http.PostAsJsonAsync("/api/users", new { name = "bench", password = "bench-password-1", role = "operator" })).EnsureSuccessStatusCode();
using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
{
    ExecutablePath = Environment.GetEnvironmentVariable("CONOPS_TEST_CHROMIUM") ?? "/usr/bin/chromium",
    Headless = true,
    Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
var page = await context.NewPageAsync();
await page.GotoAsync(console.UiUrl + "/login");
await page.Locator("#username").FillAsync("bench");
await page.Locator("#password").FillAsync("bench-password-1");
await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
await page.WaitForSelectorAsync("body[data-conops-ready=true]", new() { Timeout = 60_000 });

// 1. First render: navigation start -> every count and the first rows on screen, live (interactive).
var firstRenders = new List<double>();
for (var run = 0; run < 5; run++)
{
    await page.GotoAsync(console.UiUrl + "/history");
    await page.WaitForSelectorAsync("body[data-conops-ready=true]");
    await page.GotoAsync(console.UiUrl + "/", new() { WaitUntil = WaitUntilState.Commit });
    var ms = await page.EvaluateAsync<double>($$"""
        () => new Promise(resolve => {
          const check = () => {
            const synced = document.querySelector('[data-testid="count-sync-Synced"]');
            const row = document.querySelector('[data-testid^="row-"]');
            if (synced && synced.textContent.includes('{{total}}') && row) resolve(performance.now());
            else requestAnimationFrame(check);
          };
          check();
        })
        """);
    firstRenders.Add(ms);
}
await page.WaitForSelectorAsync("body[data-conops-ready=true]");
Console.WriteLine($"fleet page first render with {total:N0} services: median {Median(firstRenders):0} ms, max {firstRenders.Max():0} ms ({string.Join(", ", firstRenders.Select(v => v.ToString("0", CultureInfo.InvariantCulture)))})");

// 2. Status change: the agent reports, the badge changes in the browser (wall clock, same machine).
var latencies = new List<double>();
for (var i = 0; i < 20; i++)
{
    var health = i % 2 == 0 ? HealthStatus.Degraded : HealthStatus.Healthy;
    var word = health == HealthStatus.Degraded ? "Degraded" : "Healthy";
    var testId = "health-sim-0000-app-0-svc-0";
    var wait = page.EvaluateAsync<double>($$"""
        () => new Promise(resolve => {
          const done = () => { const b = document.querySelector('[data-testid="{{testId}}"]'); return b && b.textContent === '{{word}}'; };
          const observer = new MutationObserver(() => { if (done()) { observer.disconnect(); resolve(Date.now()); } });
          observer.observe(document.querySelector('[data-testid="services"]'), { subtree: true, childList: true, characterData: true });
        })
        """);
    await Task.Delay(200);
    var sentAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    agents[0].Report(0, health, $"bench change {i}");
    var seenAt = await wait;
    latencies.Add(seenAt - sentAt);
    await Task.Delay(150);
}
latencies.Sort();
Console.WriteLine($"status change, agent report -> badge in the browser ({total:N0} services on the page): median {Median(latencies):0} ms, p95 {latencies[(int)(latencies.Count * 0.95) - 1]:0} ms, max {latencies.Max():0} ms");

// 3. Log view: one service writing logRate lines/s; the page must keep painting.
await page.GotoAsync($"{console.UiUrl}/logs?s=sim-0000/app-0/svc-1&tail=100");
await page.WaitForSelectorAsync("body[data-conops-ready=true]");
await page.WaitForSelectorAsync(".conops-log-line:not(.conops-log-meta)", new() { Timeout = 30_000 });
await page.EvaluateAsync("""
    () => {
      window.__gaps = []; window.__longTasks = [];
      let last = performance.now();
      const frame = t => { window.__gaps.push(t - last); last = t; if (!window.__stopFrames) requestAnimationFrame(frame); };
      requestAnimationFrame(frame);
      new PerformanceObserver(list => list.getEntries().forEach(e => window.__longTasks.push(e.duration))).observe({ type: 'longtask' });
    }
    """);
var rssBefore = console.RssMegabytes();
await Task.Delay(TimeSpan.FromSeconds(logSeconds));
var frames = await page.EvaluateAsync<double[]>("() => { window.__stopFrames = true; return window.__gaps; }");
var longTasks = await page.EvaluateAsync<double[]>("() => window.__longTasks");
var stats = await page.GetByTestId("log-stats").TextContentAsync();
var heap = await page.EvaluateAsync<double>("() => performance.memory ? performance.memory.usedJSHeapSize / 1048576 : -1");
Console.WriteLine($"log view at {logRate:N0} lines/s for {logSeconds} s: {frames.Length} frames, longest frame gap {frames.Skip(5).DefaultIfEmpty(0).Max():0} ms, frames over 100 ms: {frames.Skip(5).Count(f => f > 100)}, long tasks: {longTasks.Length} (longest {longTasks.DefaultIfEmpty(0).Max():0} ms)");
Console.WriteLine($"log view: {stats?.Trim()}; page JS heap {heap:0} MB; console RSS {rssBefore:0} -> {console.RssMegabytes():0} MB");

foreach (var agent in agents)
{
    await agent.DisposeAsync();
}
return 0;

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted[sorted.Count / 2];
}

int Arg(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}

static string FindRepoRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ConOps.sln")))
    {
        dir = dir.Parent;
    }
    return dir?.FullName ?? throw new InvalidOperationException("Run the bench from inside the repository.");
}
