using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ConOps.IntegrationTests.Fleet;
using ConOps.IntegrationTests.Support;
using Docker.DotNet.Models;
using Xunit.Abstractions;

namespace ConOps.IntegrationTests.Sources;

/// <summary>
/// The fleet managed by GitOps across two real engines: a fleet file in a private repository (smart HTTP with Basic
/// auth) labels two hosts, an app selects them by label, one host gets its own override file and variables, and the
/// image comes from a private registry that the second engine has to pull from with the app's credentials.
/// </summary>
[Collection(RealEngine.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TwoHostSourcesTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private readonly DockerEngine _engine1 = new();
    private readonly DockerEngine _engine2 = new(TestEnvironment.Require("CONOPS_TEST_DOCKER2_HOST"));
    private readonly GitRepo _work = new();
    private readonly List<AgentProcess> _agents = [];
    private ConsoleProcess? _console;

    private string Bare => Path.Combine(TestEnvironment.Require("CONOPS_TEST_GIT_ROOT"), $"fleet-{_suffix}.git");

    private string App => "sel-" + _suffix;

    private string Host1 => "sel1-" + _suffix;

    private string Host2 => "sel2-" + _suffix;

    private string Image => $"{TestRegistries.Basic}/conops/{App}:1";

    private string Role => "web-" + _suffix;

    private static string GitPassword => TestEnvironment.Require("CONOPS_TEST_GIT_HTTP_PASSWORD");

    public async Task InitializeAsync()
    {
        // The image lives only in the private registry under a repository no other test uses: engine 2 has never seen it.
        await TestRegistries.PushAsync(TestEnvironment.Require("CONOPS_TEST_IMAGE_WEB1"), Image, TestRegistries.BasicPassword);
        Publish("fleet and app",
            ("fleet.yaml", Fleet(host2Role: Role)),
            ("app/compose.yaml", $$"""
                services:
                  web:
                    image: {{Image}}
                    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
                    environment:
                      GREETING: ${GREETING}
                """),
            ("app/site-b.yaml", """
                services:
                  web:
                    environment:
                      SITE: b
                """));
        _console = await ConsoleProcess.StartAsync(new Dictionary<string, string>
        {
            ["ConOps:Console:PollInterval"] = "00:00:01",
            ["ConOps:Sources:FleetFile"] = "fleet.yaml",
            ["ConOps:Sources:FleetRepoUrl"] = RepoUrl,
            ["ConOps:Sources:FleetRepoAuth:Username"] = TestEnvironment.Require("CONOPS_TEST_GIT_HTTP_USER"),
            ["ConOps:Sources:FleetRepoAuth:Password"] = GitPassword,
            // Secrets the fleet file names as ${...}: they live in the console's environment, never in Git.
            ["CONOPS_TEST_FLEET_GIT_PASSWORD"] = GitPassword,
            ["CONOPS_TEST_FLEET_REGISTRY_PASSWORD"] = TestRegistries.BasicPassword,
        });
    }

    [Fact]
    public async Task A_private_fleet_file_selects_hosts_by_label_applies_a_host_override_and_both_engines_pull_the_private_image()
    {
        var console = _console!;

        // Given the fleet file was read from the private repository, with the app it declares
        var fleetFile = await Eventually.Until(() => console.GetJsonAsync("/api/fleet-file"), f => f.GetProperty("appliedVersion").ValueKind == JsonValueKind.String, Converge, "the private fleet file to be applied");
        Assert.Equal(JsonValueKind.Null, fleetFile.GetProperty("error").ValueKind);

        // When an agent on each engine joins the hosts the fleet file labels
        foreach (var (host, engine) in new[] { (Host1, _engine1), (Host2, _engine2) })
        {
            var response = await console.Http.PostAsJsonAsync("/api/hosts", new { name = host });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var agent = AgentProcess.FromJoin(engine.Endpoint, await response.Content.ReadFromJsonAsync<JsonElement>());
            _agents.Add(agent);
            agent.Start();
        }

        // Then the app runs on both hosts its selector matches, each engine pulling the image with the app's registry login
        var web1 = await WaitForWebAsync(_engine1, "host 1 to run the selected app");
        var web2 = await WaitForWebAsync(_engine2, "host 2 to run the selected app, pulled from the private registry");
        Assert.Contains(web2.Config.Image, (await _engine2.Client.Images.InspectImageAsync(web2.Image)).RepoDigests);

        // And the second host's override file and variables apply there only
        Assert.Contains("GREETING=hello", web1.Config.Env);
        Assert.DoesNotContain(web1.Config.Env, e => e.StartsWith("SITE=", StringComparison.Ordinal));
        Assert.Contains("GREETING=from-site-b", web2.Config.Env);
        Assert.Contains("SITE=b", web2.Config.Env);

        // When a commit to the fleet file gives the second host another role
        Publish("host 2 becomes a database host", ("fleet.yaml", Fleet(host2Role: "db-" + _suffix)));

        // Then the app leaves the second host and the first host's container is untouched
        await Eventually.Until(() => _engine2.ManagedContainersAsync(App), c => c.Count == 0, Converge, "the app to be removed from the host that no longer matches");
        var still = await _engine1.RunningContainerAsync(App);
        Assert.Equal(web1.ID, still?.ID);

        // And no secret shows in the console's answers or its log
        var answers = await console.Http.GetStringAsync("/api/apps") + await console.Http.GetStringAsync("/api/fleet-file")
            + await console.Http.GetStringAsync($"/api/history?app={App}&model=true") + await console.Http.GetStringAsync("/api/hosts");
        foreach (var secret in new[] { GitPassword, TestRegistries.BasicPassword })
        {
            Assert.DoesNotContain(secret, answers, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, console.Log, StringComparison.Ordinal);
            Assert.All(_agents, a => Assert.DoesNotContain(secret, a.Log, StringComparison.Ordinal));
        }
    }

    private string RepoUrl => $"{TestEnvironment.Require("CONOPS_TEST_GIT_HTTP")}/fleet-{_suffix}.git";

    private string Fleet(string host2Role) => $$"""
        hosts:
          - name: {{Host1}}
            labels: {role: "{{Role}}"}
          - name: {{Host2}}
            labels: {role: "{{host2Role}}"}
        apps:
          - name: {{App}}
            repoUrl: {{RepoUrl}}
            path: app
            git: {username: {{TestEnvironment.Require("CONOPS_TEST_GIT_HTTP_USER")}}, password: "${CONOPS_TEST_FLEET_GIT_PASSWORD}"}
            registries:
              - {server: "{{TestRegistries.Basic}}", username: {{TestRegistries.User}}, password: "${CONOPS_TEST_FLEET_REGISTRY_PASSWORD}"}
            hostSelector: {role: "{{Role}}"}
            variables: {GREETING: hello}
            hostOverrides:
              {{Host2}}:
                composeFile: site-b.yaml
                variables: {GREETING: from-site-b}
        """;

    private async Task<ContainerInspectResponse> WaitForWebAsync(DockerEngine engine, string what) =>
        (await Eventually.Until(() => engine.RunningContainerAsync(App), c => c is not null, Converge, what))!;

    /// <summary>Commits in the work repository and pushes to the bare repository the smart HTTP server serves.</summary>
    private void Publish(string message, params (string File, string Content)[] files)
    {
        if (!Directory.Exists(Bare))
        {
            System.Diagnostics.Process.Start("git", ["init", "-q", "--bare", "-b", "main", Bare])!.WaitForExit();
        }
        _work.Commit(message, files);
        _work.Git("push", "-q", Bare, "main");
    }

    public async Task DisposeAsync()
    {
        if (_console is not null)
        {
            output.WriteLine("---- console ----\n" + _console.Log);
            await _console.DisposeAsync();
        }
        foreach (var agent in _agents)
        {
            output.WriteLine("---- agent ----\n" + agent.Log);
            await agent.DisposeAsync();
        }
        foreach (var engine in new[] { _engine1, _engine2 })
        {
            await engine.RemoveAppAsync(App);
            try
            {
                await engine.Client.Images.DeleteImageAsync(Image, new ImageDeleteParameters { Force = true });
            }
            catch (Docker.DotNet.DockerApiException)
            {
                // Never pulled on this engine.
            }
            engine.Dispose();
        }
        _work.Dispose();
        try
        {
            Directory.Delete(Bare, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
