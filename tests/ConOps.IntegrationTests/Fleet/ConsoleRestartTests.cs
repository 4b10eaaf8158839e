using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ConOps.IntegrationTests.Support;
using Xunit.Abstractions;

namespace ConOps.IntegrationTests.Fleet;

/// <summary>The console dies in the middle of a deployment and comes back on the same data directory and ports.</summary>
[Collection(RealEngine.Name)]
public sealed class ConsoleRestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(45);

    private readonly string _app = "fleet-restart-" + Guid.NewGuid().ToString("N")[..6];
    private readonly DockerEngine _engine = new();
    private readonly GitRepo _repo = new();
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "conops-console-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly int _uiPort = ConsoleProcess.FreePort();
    private readonly int _agentPort = ConsoleProcess.FreePort();
    private readonly List<ConsoleProcess> _consoles = [];
    private AgentProcess? _agent;

    private string Host => "restart-" + _app[^6..];

    public Task InitializeAsync()
    {
        _repo.Commit("two services", ("compose.yaml", Compose("v1")));
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_console_killed_mid_apply_keeps_its_history_and_its_agent_reconnects_within_10_s_without_needless_recreation()
    {
        // Given a console, an enrolled agent and an app with two services, all synced
        var console = await StartConsoleAsync();
        var join = await (await console.Http.PostAsJsonAsync("/api/hosts", new { name = Host })).Content.ReadFromJsonAsync<JsonElement>();
        _agent = AgentProcess.FromJoin(_engine.Endpoint, join);
        _agent.Start();
        Assert.Equal(HttpStatusCode.Created, (await console.Http.PostAsJsonAsync("/api/apps", new { name = _app, repoUrl = _repo.Path, branch = "main", path = ".", hosts = new[] { Host } })).StatusCode);
        await WaitSyncedAsync(console, "steady", "changing");
        var steady = await ContainerAsync("steady");
        var historyBefore = (await console.GetJsonAsync($"/api/history?app={_app}")).EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).ToList();
        Assert.NotEmpty(historyBefore);

        // When a commit changes one service and the console is killed as soon as the agent starts applying it
        var received = CountDesiredStates();
        _repo.Commit("change one service", ("compose.yaml", Compose("v2")));
        await Eventually.Until(() => Task.FromResult(CountDesiredStates()), n => n > received, Converge, "the agent to receive the new desired state");
        console.Kill();

        // And it starts again with the same data directory and ports
        console = await StartConsoleAsync();
        var ready = Stopwatch.StartNew();

        // Then the agent is back within 10 s
        await Eventually.Until(() => console.GetJsonAsync($"/api/hosts/{Host}"), h => h.GetProperty("connected").GetBoolean(), TimeSpan.FromSeconds(10), "the agent to reconnect");
        output.WriteLine($"agent reconnected {ready.Elapsed.TotalSeconds:0.0} s after the console was ready");

        // And the host converges, the unchanged service's container untouched
        await Eventually.Until(() => ContainerAsync("changing"), c => c.Config.Env.Contains("VERSION=v2") && c.State.Running, Converge, "the changed service to run v2");
        await WaitSyncedAsync(console, "steady", "changing");
        var steadyAfter = await ContainerAsync("steady");
        Assert.Equal(steady.ID, steadyAfter.ID);
        Assert.Equal(steady.State.StartedAt, steadyAfter.State.StartedAt);

        // And no history was lost
        var historyAfter = (await console.GetJsonAsync($"/api/history?app={_app}")).EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).ToList();
        Assert.All(historyBefore, id => Assert.Contains(id, historyAfter));
    }

    public async Task DisposeAsync()
    {
        foreach (var console in _consoles)
        {
            output.WriteLine("---- console ----\n" + console.Log);
            await console.DisposeAsync();
        }
        if (_agent is not null)
        {
            output.WriteLine("---- agent ----\n" + _agent.Log);
            await _agent.DisposeAsync();
        }
        await _engine.RemoveAppAsync(_app);
        _engine.Dispose();
        _repo.Dispose();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<ConsoleProcess> StartConsoleAsync()
    {
        var console = await ConsoleProcess.StartAsync(new Dictionary<string, string> { ["ConOps:Console:PollInterval"] = "00:00:01" }, _dataDirectory, _uiPort, _agentPort);
        _consoles.Add(console);
        return console;
    }

    private int CountDesiredStates() =>
        _agent!.Log.Split('\n').Count(l => l.Contains("Received desired state generation", StringComparison.Ordinal));

    private async Task WaitSyncedAsync(ConsoleProcess console, params string[] services)
    {
        foreach (var service in services)
        {
            await Eventually.Until(() => console.ServiceAsync(_app, service, Host), s => s is { } row && row.GetProperty("status").GetString() == "synced", Converge, $"{service} to be synced");
        }
    }

    private async Task<Docker.DotNet.Models.ContainerInspectResponse> ContainerAsync(string service)
    {
        var container = (await _engine.ManagedContainersAsync(_app)).SingleOrDefault(c => c.Labels["conops.service"] == service)
            ?? throw new InvalidOperationException($"no container for {service}");
        return await _engine.Client.Containers.InspectContainerAsync(container.ID);
    }

    private static string Compose(string version) => $"""
        services:
          steady:
            image: conops-test/busybox:1
            command: ["sleep", "3600"]
          changing:
            image: conops-test/busybox:1
            command: ["sleep", "3600"]
            environment:
              VERSION: {version}
        """;
}
