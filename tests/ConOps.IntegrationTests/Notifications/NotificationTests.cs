using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ConOps.IntegrationTests.Support;
using Xunit.Abstractions;

namespace ConOps.IntegrationTests.Notifications;

/// <summary>
/// Notifications on real parts: the console as a process with its local agent, a second agent process as
/// another host, a git repository and a local HTTP receiver standing in for every target kind.
/// </summary>
[Collection(RealEngine.Name)]
public sealed class NotificationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(45);

    // Test secrets: they must reach the receiver and appear nowhere else (logs, API answers, the database file).
    private const string WebhookSecret = "whsec-7Qx9TestOnly";
    private const string WebhookToken = "whtok-4Lm2TestOnly";
    private const string GotifyToken = "gotok-8Pz1TestOnly";
    private const string DiscordSecret = "dcsec-5Rt6TestOnly";
    private const string SlackSecret = "slsec-3Vn0TestOnly";
    private readonly List<string> _secrets = [WebhookSecret, WebhookToken, GotifyToken, DiscordSecret, SlackSecret];
    private Dictionary<string, string> _joinEnvironment = [];

    private readonly DockerEngine _docker = new();
    private readonly GitRepo _repo = new();
    private readonly HttpReceiver _receiver = new();
    private readonly string _app = "note-" + Guid.NewGuid().ToString("N")[..6];
    private readonly string _edge = "edge-" + Guid.NewGuid().ToString("N")[..6];
    private readonly ConcurrentQueue<string> _agentLog = new();
    private ConsoleProcess? _console;
    private Process? _agent;

    public async Task InitializeAsync()
    {
        _repo.Commit("first", ("compose.yaml", Compose()));
        _console = await ConsoleProcess.StartAsync(new Dictionary<string, string>
        {
            ["ConOps:Console:PollInterval"] = "00:00:01",
            ["ConOps:LocalAgent:Enabled"] = "true",
            ["ConOps:Notifications:ConfirmAfter"] = "00:00:00",
            ["ConOps:Notifications:StartupGrace"] = "00:00:00",
        });
    }

    [Fact]
    public async Task Every_target_kind_receives_a_test_and_incidents_are_told_once_when_they_open_and_once_when_they_resolve()
    {
        var console = _console!;
        _secrets.Add(console.AdminToken);

        // Given one target of each kind
        var webhook = await AddTargetAsync("webhook", "webhook", $"/hooks/{WebhookSecret}", WebhookToken);
        var ntfy = await AddTargetAsync("ntfy", "ntfy", "/ntfy/ops-alerts", null);
        var gotify = await AddTargetAsync("gotify", "gotify", "/gotify", GotifyToken);
        var discord = await AddTargetAsync("discord", "discord", $"/discord/api/webhooks/1/{DiscordSecret}", null);
        var slack = await AddTargetAsync("slack", "slack", $"/slack/services/{SlackSecret}", null);

        // When each is sent a test
        foreach (var id in new[] { webhook, ntfy, gotify, discord, slack })
        {
            var test = await console.Http.PostAsync($"/api/notifications/targets/{id}/test", null);
            Assert.Equal(HttpStatusCode.OK, test.StatusCode);
        }

        // Then each received the request its service expects
        var received = _receiver.Received;
        Assert.Equal("test", Json(Single(received, $"/hooks/{WebhookSecret}")).GetProperty("event").GetString());
        Assert.Equal($"Bearer {WebhookToken}", Single(received, $"/hooks/{WebhookSecret}").Headers["Authorization"]);
        Assert.Equal("ConOps test message", Single(received, "/ntfy/ops-alerts").Headers["Title"]);
        Assert.Equal(GotifyToken, Single(received, "/gotify/message").Headers["X-Gotify-Key"]);
        Assert.Contains("ConOps test message", Json(Single(received, $"/discord/api/webhooks/1/{DiscordSecret}")).GetProperty("content").GetString(), StringComparison.Ordinal);
        Assert.Contains("ConOps test message", Json(Single(received, $"/slack/services/{SlackSecret}")).GetProperty("text").GetString(), StringComparison.Ordinal);

        // And the API shows the targets without their secrets
        var listed = await console.Http.GetStringAsync("/api/notifications/targets");
        Assert.Contains($"http://127.0.0.1:{_receiver.Port}", listed, StringComparison.Ordinal);
        Assert.DoesNotContain(_secrets, listed.Contains);

        // And a target that cannot be reached says so, without its URL's secret
        var deadPort = ConsoleProcess.FreePort();
        var dead = await AddTargetAsync("dead", "discord", $"/api/webhooks/2/{DiscordSecret}", null, port: deadPort);
        var failed = await console.Http.PostAsync($"/api/notifications/targets/{dead}/test", null);
        Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
        var problem = await failed.Content.ReadAsStringAsync();
        Assert.Contains($"cannot reach http://127.0.0.1:{deadPort}", problem, StringComparison.Ordinal);
        Assert.DoesNotContain(DiscordSecret, problem, StringComparison.Ordinal);

        // Given a global rule for sync failures and offline hosts to the webhook, and an app to watch
        var rule = await console.Http.PostAsJsonAsync("/api/notifications/rules", new { targetId = webhook, events = new[] { "sync-failed", "host-offline" } });
        Assert.Equal(HttpStatusCode.Created, rule.StatusCode);
        var created = await console.Http.PostAsJsonAsync("/api/apps", new { name = _app, repoUrl = _repo.Path, branch = "main", path = ".", hosts = new[] { "local" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await Eventually.Until(() => console.ServiceAsync(_app, "web"), s => s?.GetProperty("status").GetString() == "synced", Converge, "the app to be synced");

        // When a commit breaks the compose file, and the console keeps polling it
        _repo.Commit("oops", ("compose.yaml", "services:\n  web:\n    image: [broken\n"));
        var opened = await WebhookEventuallyAsync("sync-failed", "opened", _app);
        await Task.Delay(TimeSpan.FromSeconds(4));

        // Then exactly one message says so, with the parser's message
        Assert.Single(WebhookMessages("sync-failed", "opened", _app));
        Assert.Contains("compose.yaml", opened.GetProperty("message").GetString(), StringComparison.Ordinal);

        // When the file is fixed
        _repo.Commit("fixed", ("compose.yaml", Compose()));

        // Then exactly one message says it is resolved, and the incident is closed
        await WebhookEventuallyAsync("sync-failed", "resolved", _app);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Single(WebhookMessages("sync-failed", "resolved", _app));
        var incidents = await console.GetJsonAsync("/api/notifications/incidents");
        Assert.Contains(incidents.EnumerateArray(), i => i.GetProperty("app").GetString() == _app && i.GetProperty("resolvedAt").ValueKind != JsonValueKind.Null);

        // When another host joins with its join command, connects, and then its agent dies
        var join = await console.Http.PostAsJsonAsync("/api/hosts", new { name = _edge });
        Assert.Equal(HttpStatusCode.Created, join.StatusCode);
        _joinEnvironment = (await join.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("environment").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        _secrets.Add(_joinEnvironment["ConOps__Agent__JoinToken"]);
        StartAgent();
        await Eventually.Until(() => console.GetJsonAsync("/api/hosts"), h => h.EnumerateArray().Any(x => x.GetProperty("name").GetString() == _edge && x.GetProperty("connected").GetBoolean()), Converge, $"host {_edge} to connect");
        _agent!.Kill(entireProcessTree: true);

        // Then one message says the host is offline, and one that it is back when the agent returns
        await WebhookEventuallyAsync("host-offline", "opened", null, _edge);
        StartAgent();
        await WebhookEventuallyAsync("host-offline", "resolved", null, _edge);
        Assert.Single(WebhookMessages("host-offline", "opened", null, _edge));

        // And no secret is in any log of the run, nor readable in the database files
        var logs = console.Log + "\n" + string.Join('\n', _agentLog);
        foreach (var secret in _secrets)
        {
            Assert.False(logs.Contains(secret, StringComparison.Ordinal), $"the secret {secret} appears in the logs");
        }
        foreach (var file in Directory.EnumerateFiles(console.DataDirectory, "conops.db*"))
        {
            var bytes = await ReadSharedAsync(file);
            foreach (var secret in _secrets)
            {
                Assert.False(bytes.Contains(secret, StringComparison.Ordinal), $"the secret {secret} is stored in clear text in {Path.GetFileName(file)}");
            }
        }
    }

    private async Task<long> AddTargetAsync(string name, string kind, string path, string? token, int? port = null)
    {
        var url = port is null ? _receiver.Url(path) : $"http://127.0.0.1:{port}{path}";
        var response = await _console!.Http.PostAsJsonAsync("/api/notifications/targets", new { name, kind, url, token });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    private void StartAgent()
    {
        var dll = Path.Combine(Path.GetDirectoryName(typeof(ConOps.Agent.AgentOptions).Assembly.Location)!, "conops-agent.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var (key, value) in _joinEnvironment)
        {
            start.Environment[key] = value;
        }
        start.Environment["ConOps__Agent__DataDirectory"] = Path.Combine(_console!.DataDirectory, "edge-agent");
        start.Environment["ConOps__Agent__DockerEndpoint"] = TestEnvironment.DockerHost;
        _agent?.Dispose();
        _agent = Process.Start(start)!;
        _agent.OutputDataReceived += (_, e) => { if (e.Data is not null) { _agentLog.Enqueue(e.Data); } };
        _agent.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _agentLog.Enqueue(e.Data); } };
        _agent.BeginOutputReadLine();
        _agent.BeginErrorReadLine();
    }

    private List<JsonElement> WebhookMessages(string @event, string state, string? app, string? host = null) =>
        [.. _receiver.Received.Where(r => r.Path == $"/hooks/{WebhookSecret}").Select(Json)
            .Where(m => m.GetProperty("event").GetString() == @event && m.GetProperty("state").GetString() == state
                && (app is null || m.GetProperty("app").GetString() == app) && (host is null || m.GetProperty("host").GetString() == host))];

    private Task<JsonElement> WebhookEventuallyAsync(string @event, string state, string? app, string? host = null) =>
        Eventually.Until(
            () => Task.FromResult(WebhookMessages(@event, state, app, host).FirstOrDefault()),
            m => m.ValueKind == JsonValueKind.Object,
            Converge,
            $"a webhook message {@event}/{state} for {app ?? host}");

    private static ReceivedRequest Single(IEnumerable<ReceivedRequest> received, string path) => Assert.Single(received, r => r.Path == path);

    private static JsonElement Json(ReceivedRequest request) => JsonDocument.Parse(request.Body).RootElement;

    private static async Task<string> ReadSharedAsync(string file)
    {
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.Latin1);
        return await reader.ReadToEndAsync();
    }

    private static string Compose() => """
        services:
          web:
            image: conops-test/web:1
            command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
        """;

    public async Task DisposeAsync()
    {
        if (_agent is { HasExited: false })
        {
            _agent.Kill(entireProcessTree: true);
        }
        _agent?.Dispose();
        if (_console is not null)
        {
            output.WriteLine(_console.Log);
            await _console.DisposeAsync();
        }
        await Deploy.AppResources.RemoveAsync(_docker, _app);
        _docker.Dispose();
        _receiver.Dispose();
        _repo.Dispose();
    }
}
