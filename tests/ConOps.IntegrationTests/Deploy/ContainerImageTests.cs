using System.Net.Http.Json;
using System.Text.Json;
using ConOps.IntegrationTests.Support;
using Xunit.Abstractions;

namespace ConOps.IntegrationTests.Deploy;

/// <summary>
/// The shipped images on a real engine: the console container with its data on a volume, and an agent
/// container (Native AOT binary, engine socket mounted) that connects and deploys an app from Git.
/// </summary>
[Collection(DeployCollection.Name)]
public sealed class ContainerImageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private readonly DockerEngine _docker = new();
    private readonly GitRepo _repo = new();
    private readonly int _uiPort = ConsoleProcess.FreePort();
    private readonly int _appPort = ConsoleProcess.FreePort();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private string _joinToken = "";

    // The console's admin API token for automation (ConOps:Auth:BootstrapToken); a test secret too.
    private readonly string _adminToken = "it-admin-" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");

    private string Network => $"conops-it-net-{_suffix}";

    private string ConsoleContainer => $"conops-it-console-{_suffix}";

    private string AgentContainer => $"conops-it-agent-{_suffix}";

    private string App => $"img-{_suffix}";

    private string HostName => $"box-{_suffix}";

    public async Task InitializeAsync()
    {
        _repo.Commit("web", ("compose.yaml", $"""
            services:
              web:
                image: conops-test/web:1
                command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
                ports:
                  - "127.0.0.1:{_appPort}:8080"
            """));
        // The console runs as uid 10001 and Git refuses repositories owned by someone else.
        await DeployArtifacts.RunAsync("chown", TimeSpan.FromSeconds(10), "-R", "10001:10001", _repo.Path);
        _http.BaseAddress = new Uri($"http://127.0.0.1:{_uiPort}");
        _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _adminToken);
        await Docker("network", "create", Network);
    }

    [Fact]
    public async Task An_agent_container_connects_to_the_console_container_and_deploys_an_app()
    {
        // Given the console image running with its data on a named volume
        await Docker("run", "-d", "--name", ConsoleContainer, "--network", Network,
            "-v", $"conops-it-data-{_suffix}:/var/lib/conops", "-v", $"{_repo.Path}:/repos/app:ro",
            "-p", $"127.0.0.1:{_uiPort}:8080", "-e", "ConOps__Console__PollInterval=00:00:01",
            "-e", $"ConOps__Fleet__PublicAgentUrl=https://{ConsoleContainer}:8081", "-e", $"ConOps__Auth__BootstrapToken={_adminToken}",
            DeployArtifacts.ConsoleImage);
        await Eventually.Until(() => _http.GetAsync("/api/hosts"), r => r.IsSuccessStatusCode, Converge, "the console container to answer");

        // And a host created in the console, with its join command (TLS, pinned certificate)
        var created = await _http.PostAsJsonAsync("/api/hosts", new { name = HostName });
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        var join = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal($"https://{ConsoleContainer}:8081", join.GetProperty("consoleUrl").GetString());
        _joinToken = join.GetProperty("joinToken").GetString()!;

        // When the agent image runs with the join command's values and the engine socket mounted
        var socket = new Uri(TestEnvironment.DockerHost).LocalPath;
        var socketGroup = (await DeployArtifacts.RunAsync("stat", TimeSpan.FromSeconds(5), "-c", "%g", socket)).Trim();
        var environment = join.GetProperty("environment").EnumerateObject().SelectMany(e => new[] { "-e", $"{e.Name}={e.Value.GetString()}" });
        await Docker([
            "run", "-d", "--name", AgentContainer, "--network", Network, "--group-add", socketGroup,
            "-v", $"{socket}:/var/run/docker.sock", "-v", $"conops-it-agent-{_suffix}:/var/lib/conops-agent",
            .. environment, DeployArtifacts.AgentImage]);

        // Then the agent enrolls and shows up connected
        await WaitForHostAsync(connected: true);

        // When an app targets that host
        var app = await _http.PostAsJsonAsync("/api/apps", new { name = App, repoUrl = "/repos/app", branch = "main", path = ".", hosts = new[] { HostName } });
        Assert.Equal(System.Net.HttpStatusCode.Created, app.StatusCode);

        // Then the agent container deploys it on the engine and the console reports it synced
        await Eventually.Until(ServiceStatusAsync, s => s == "synced", Converge, $"service web of {App} on {HostName} to be synced");
        var containers = await _docker.ManagedContainersAsync(App);
        Assert.Single(containers);
        Assert.StartsWith("v1:sha256:", containers[0].Labels["conops.config-hash"], StringComparison.Ordinal);
        Assert.Equal("v1", (await _http.GetStringAsync($"http://127.0.0.1:{_appPort}/")).Trim());

        // And both images' own healthchecks pass: the console is up, the agent reaches the engine and the console
        foreach (var container in new[] { ConsoleContainer, AgentContainer })
        {
            var probe = JsonDocument.Parse(await Docker("inspect", "-f", "{{json .Config.Healthcheck.Test}}", container)).RootElement
                .EnumerateArray().Select(e => e.GetString()!).ToList();
            Assert.Equal("CMD", probe[0]);
            await Docker(["exec", container, .. probe.Skip(1)]);
        }

        // And neither container runs as root
        Assert.Equal("10001:10001", (await Docker("inspect", "-f", "{{.Config.User}}", ConsoleContainer)).Trim());
        Assert.Equal("10002:10002", (await Docker("inspect", "-f", "{{.Config.User}}", AgentContainer)).Trim());

        // When the console container is replaced by a new one on the same volume (an upgrade)
        await Docker("rm", "-f", ConsoleContainer);
        await WaitForHostAsync(connected: false, viaApi: false);
        await Docker("run", "-d", "--name", ConsoleContainer, "--network", Network,
            "-v", $"conops-it-data-{_suffix}:/var/lib/conops", "-v", $"{_repo.Path}:/repos/app:ro",
            "-p", $"127.0.0.1:{_uiPort}:8080", "-e", "ConOps__Console__PollInterval=00:00:01",
            "-e", $"ConOps__Fleet__PublicAgentUrl=https://{ConsoleContainer}:8081", "-e", $"ConOps__Auth__BootstrapToken={_adminToken}",
            DeployArtifacts.ConsoleImage);

        // Then it still knows the app, the agent reconnects, and the running container was never touched
        await Eventually.Until(ServiceStatusAsync, s => s == "synced", Converge, "the app to be synced again after the console was replaced");
        var apps = await _http.GetFromJsonAsync<JsonElement>("/api/apps");
        Assert.Contains(apps.EnumerateArray(), a => a.GetProperty("name").GetString() == App);
        var after = await _docker.ManagedContainersAsync(App);
        Assert.Equal(containers[0].ID, Assert.Single(after).ID);

        // And neither the join token nor the admin token is in any log of either container
        foreach (var container in new[] { ConsoleContainer, AgentContainer })
        {
            var log = await Docker("logs", container);
            Assert.DoesNotContain(_joinToken, log, StringComparison.Ordinal);
            Assert.DoesNotContain(_adminToken, log, StringComparison.Ordinal);
        }
    }

    private async Task WaitForHostAsync(bool connected, bool viaApi = true)
    {
        if (!viaApi)
        {
            // The console is gone: wait for the agent to notice, from its own log.
            await Eventually.Until(() => Docker("logs", AgentContainer), log => log.Contains("lost", StringComparison.Ordinal), Converge, "the agent to notice the console is gone");
            return;
        }
        await Eventually.Until(
            () => _http.GetFromJsonAsync<JsonElement>("/api/hosts"),
            hosts => hosts.EnumerateArray().Any(h => h.GetProperty("name").GetString() == HostName && h.GetProperty("connected").GetBoolean() == connected),
            Converge,
            $"host {HostName} to be {(connected ? "connected" : "offline")}");
    }

    private async Task<string?> ServiceStatusAsync()
    {
        var rows = await _http.GetFromJsonAsync<JsonElement>("/api/services");
        return rows.EnumerateArray()
            .Where(r => r.GetProperty("app").GetString() == App && r.GetProperty("host").GetString() == HostName && r.GetProperty("name").GetString() == "web")
            .Select(r => r.GetProperty("status").GetString())
            .FirstOrDefault();
    }

    private static async Task<string> Docker(params string[] args)
    {
        // docker logs writes the container's stderr to stderr: merge both for log checks.
        if (args[0] == "logs")
        {
            return await DeployArtifacts.RunAsync("sh", TimeSpan.FromSeconds(30), "-c", $"docker logs {args[1]} 2>&1");
        }
        return await DeployArtifacts.RunAsync("docker", TimeSpan.FromSeconds(60), args);
    }

    public async Task DisposeAsync()
    {
        foreach (var container in new[] { ConsoleContainer, AgentContainer })
        {
            try
            {
                output.WriteLine($"--- {container}\n{await Docker("logs", container)}");
            }
            catch (InvalidOperationException)
            {
            }
        }
        await IgnoreFailure("rm", "-f", "-v", AgentContainer, ConsoleContainer);
        await IgnoreFailure("volume", "rm", $"conops-it-data-{_suffix}", $"conops-it-agent-{_suffix}");
        await IgnoreFailure("network", "rm", Network);
        await AppResources.RemoveAsync(_docker, App);
        _docker.Dispose();
        _http.Dispose();
        _repo.Dispose();
    }

    private static async Task IgnoreFailure(params string[] args)
    {
        try
        {
            await Docker(args);
        }
        catch (InvalidOperationException)
        {
        }
    }
}
