using System.Net.Http.Json;
using System.Text.Json;
using ConOps.IntegrationTests.Support;
using Xunit.Abstractions;

namespace ConOps.IntegrationTests.Deploy;

/// <summary>
/// The shipped compose files and images on a real engine, driven by Debian's docker-compose 1.29: the
/// console from deploy/compose.yaml with its data on a volume, and an agent from deploy/agent.compose.yaml
/// (Native AOT binary, engine socket mounted) that enrolls and deploys an app from Git. Each test project
/// gets its own compose project names and an override file, as an operator would add one.
/// </summary>
[Collection(DeployCollection.Name)]
public sealed class ContainerImageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private readonly DockerEngine _docker = new();
    private readonly GitRepo _repo = new();
    private readonly string _overrides = Directory.CreateTempSubdirectory("conops-it-compose-").FullName;
    private readonly string _agentData = Directory.CreateTempSubdirectory("conops-it-agent-data-").FullName;
    private readonly int _uiPort = ConsoleProcess.FreePort();
    private readonly int _agentsPort = ConsoleProcess.FreePort();
    private readonly int _appPort = ConsoleProcess.FreePort();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly Dictionary<string, string> _environment = [];
    private string _joinToken = "";

    // The console's admin API token for automation (ConOps:Auth:BootstrapToken); a test secret too.
    private readonly string _adminToken = "it-admin-" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");

    private string ConsoleProject => $"conops-it-{_suffix}";

    private string AgentProject => $"conops-it-agent-{_suffix}";

    private string App => $"img-{_suffix}";

    private string HostName => $"box-{_suffix}";

    private string[] ConsoleCompose => ["-p", ConsoleProject, "-f", "deploy/compose.yaml", "-f", Path.Combine(_overrides, "console.override.yaml")];

    private string[] AgentCompose => ["-p", AgentProject, "-f", "deploy/agent.compose.yaml", "-f", Path.Combine(_overrides, "agent.override.yaml")];

    public async Task InitializeAsync()
    {
        _repo.Commit("web", ("compose.yaml", $"""
            services:
              web:
                image: conops-test/web:1
                command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
                ports:
                  - "127.0.0.1:{_appPort}:8080"
                volumes:
                  # A repository folder: the agent writes it into its data directory, which the engine must find on the host.
                  - ./site:/www/site:ro
            """), ("site/index.html", "from the repository\n"));
        // The agent's data directory is a same-path bind owned by the agent's uid, as deploy/agent.compose.yaml says.
        await DeployArtifacts.RunAsync("chown", TimeSpan.FromSeconds(10), "10002:10002", _agentData);
        // The console runs as uid 10001 and Git refuses repositories owned by someone else.
        await DeployArtifacts.RunAsync("chown", TimeSpan.FromSeconds(10), "-R", "10001:10001", _repo.Path);
        _http.BaseAddress = new Uri($"http://127.0.0.1:{_uiPort}");
        _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _adminToken);

        // What an operator sets: the images, ports on loopback only (other tests share this machine), a fast poll.
        _environment["CONOPS_CONSOLE_IMAGE"] = DeployArtifacts.ConsoleImage;
        _environment["CONOPS_AGENT_IMAGE"] = DeployArtifacts.AgentImage;
        _environment["CONOPS_UI_PORT"] = $"127.0.0.1:{_uiPort}";
        _environment["CONOPS_AGENTS_PORT"] = $"127.0.0.1:{_agentsPort}";
        _environment["CONOPS_POLL_INTERVAL"] = "00:00:01";
        _environment["CONOPS_AGENT_DATA"] = _agentData;
        _environment["CONOPS_IT_ADMIN_TOKEN"] = _adminToken;
        var socket = new Uri(TestEnvironment.DockerHost).LocalPath;
        Assert.Equal("/var/run/docker.sock", socket); // deploy/agent.compose.yaml mounts the default socket
        _environment["DOCKER_GID"] = (await DeployArtifacts.RunAsync("stat", TimeSpan.FromSeconds(5), "-c", "%g", socket)).Trim();

        // The operator's own additions: the app's repository mounted into the console and an admin token for
        // scripts; the agent joins the console's network as another host would reach it by name.
        await File.WriteAllTextAsync(Path.Combine(_overrides, "console.override.yaml"), $"""
            services:
              console:
                environment:
                  ConOps__Auth__BootstrapToken: ${"{"}CONOPS_IT_ADMIN_TOKEN{"}"}
                volumes:
                  - {_repo.Path}:/repos/app:ro
            """);
        await File.WriteAllTextAsync(Path.Combine(_overrides, "agent.override.yaml"), $"""
            services:
              agent:
                environment:
                  ConOps__Agent__MetricsUrl: http://127.0.0.1:9102/
            networks:
              default:
                name: {ConsoleProject}_default
                external: true
            """);
    }

    [Fact]
    public async Task An_agent_from_agent_compose_connects_to_the_console_from_compose_and_deploys_an_app()
    {
        // Given the console started from deploy/compose.yaml, with its data on a named volume
        await Compose([.. ConsoleCompose, "up", "-d", "--no-build", "console"]);
        var consoleContainer = await ContainerIdAsync(ConsoleCompose, "console");
        await Eventually.Until(() => _http.GetAsync("/api/hosts"), r => r.IsSuccessStatusCode, Converge, "the console container to answer");

        // And a host created in the console, with its join command (TLS, pinned certificate)
        var created = await _http.PostAsJsonAsync("/api/hosts", new { name = HostName });
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        var join = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("https://console:8081", join.GetProperty("consoleUrl").GetString());
        _joinToken = join.GetProperty("joinToken").GetString()!;
        var values = join.GetProperty("environment");

        // When the agent is started from deploy/agent.compose.yaml with the join command's values
        _environment["CONOPS_CONSOLE_URL"] = values.GetProperty("ConOps__Agent__ConsoleUrl").GetString()!;
        _environment["CONOPS_JOIN_TOKEN"] = values.GetProperty("ConOps__Agent__JoinToken").GetString()!;
        _environment["CONOPS_CERT_FINGERPRINT"] = values.GetProperty("ConOps__Agent__CertificateFingerprint").GetString()!;
        await Compose([.. AgentCompose, "up", "-d", "--no-build"]);
        var agentContainer = await ContainerIdAsync(AgentCompose, "agent");

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
        Assert.Equal("from the repository", (await _http.GetStringAsync($"http://127.0.0.1:{_appPort}/site/index.html")).Trim());

        // And the agent's own Prometheus endpoint names its service and counts what it did
        var metrics = await Docker("exec", agentContainer, "bash", "-c",
            "exec 3<>/dev/tcp/127.0.0.1/9102 && printf 'GET /metrics HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' >&3 && cat <&3");
        Assert.Contains("target_info{service_name=\"conops-agent\",service_version=", metrics, StringComparison.Ordinal);
        Assert.Contains("conops_agent_console_connected{otel_scope_name=\"ConOps.Agent\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("conops_agent_service_applies_total{otel_scope_name=\"ConOps.Agent\",action=\"created\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("conops_agent_reconcile_duration_seconds_count{otel_scope_name=\"ConOps.Agent\"}", metrics, StringComparison.Ordinal);

        // And both images' own healthchecks pass: the console is up, the agent reaches the engine and the console
        foreach (var container in new[] { consoleContainer, agentContainer })
        {
            var probe = JsonDocument.Parse(await Docker("inspect", "-f", "{{json .Config.Healthcheck.Test}}", container)).RootElement
                .EnumerateArray().Select(e => e.GetString()!).ToList();
            Assert.Equal("CMD", probe[0]);
            await Docker(["exec", container, .. probe.Skip(1)]);
        }

        // And neither container runs as root
        Assert.Equal("10001:10001", (await Docker("inspect", "-f", "{{.Config.User}}", consoleContainer)).Trim());
        Assert.Equal("10002:10002", (await Docker("inspect", "-f", "{{.Config.User}}", agentContainer)).Trim());

        // When the console container is replaced by a new one on the same volume (an upgrade)
        await Compose([.. ConsoleCompose, "rm", "-s", "-f", "console"]);
        await WaitForHostAsync(connected: false, agentContainer);
        await Compose([.. ConsoleCompose, "up", "-d", "--no-build", "console"]);
        consoleContainer = await ContainerIdAsync(ConsoleCompose, "console");

        // Then it still knows the app, the agent reconnects, and the running container was never touched
        await Eventually.Until(ServiceStatusAsync, s => s == "synced", Converge, "the app to be synced again after the console was replaced");
        var apps = await _http.GetFromJsonAsync<JsonElement>("/api/apps");
        Assert.Contains(apps.EnumerateArray(), a => a.GetProperty("name").GetString() == App);
        var after = await _docker.ManagedContainersAsync(App);
        Assert.Equal(containers[0].ID, Assert.Single(after).ID);

        // And neither the join token nor the admin token is in any log of either container
        foreach (var container in new[] { consoleContainer, agentContainer })
        {
            var log = await Docker("logs", container);
            Assert.DoesNotContain(_joinToken, log, StringComparison.Ordinal);
            Assert.DoesNotContain(_adminToken, log, StringComparison.Ordinal);
        }
    }

    private async Task WaitForHostAsync(bool connected, string? agentContainer = null)
    {
        if (agentContainer is not null)
        {
            // The console is gone: wait for the agent to notice, from its own log.
            await Eventually.Until(() => Docker("logs", agentContainer), log => log.Contains("lost", StringComparison.Ordinal), Converge, "the agent to notice the console is gone");
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

    private Task<string> Compose(params string[] args) =>
        DeployArtifacts.RunAsync("docker-compose", TimeSpan.FromSeconds(120), _environment, args);

    private async Task<string> ContainerIdAsync(string[] project, string service)
    {
        var id = (await Compose([.. project, "ps", "-q", service])).Trim();
        Assert.False(string.IsNullOrEmpty(id), $"no container for service {service}");
        return id;
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
        foreach (var (project, service) in new[] { (ConsoleCompose, "console"), (AgentCompose, "agent") })
        {
            try
            {
                output.WriteLine($"--- {service}\n{await Compose([.. project, "logs", "--no-color", service])}");
            }
            catch (InvalidOperationException)
            {
            }
        }
        // down -v: the containers, the projects' networks and their named volumes.
        await IgnoreFailure(() => Compose([.. AgentCompose, "down", "-v", "--remove-orphans"]));
        await IgnoreFailure(() => Compose([.. ConsoleCompose, "down", "-v", "--remove-orphans"]));
        await AppResources.RemoveAsync(_docker, App);
        _docker.Dispose();
        _http.Dispose();
        _repo.Dispose();
        Directory.Delete(_overrides, recursive: true);
        Directory.Delete(_agentData, recursive: true);
    }

    private static async Task IgnoreFailure(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (InvalidOperationException)
        {
        }
    }
}
