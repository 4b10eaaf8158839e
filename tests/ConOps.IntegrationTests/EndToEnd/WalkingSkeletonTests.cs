using System.Net.Http.Json;
using System.Text.Json;
using ConOps.IntegrationTests.Support;
using Docker.DotNet.Models;
using Xunit.Abstractions;

namespace ConOps.IntegrationTests.EndToEnd;

/// <summary>
/// The whole path on real parts: a git repository, the console as a process with its local agent, and the
/// real Docker engine. Given/When/Then, one user story.
/// </summary>
[Collection(RealEngine.Name)]
public sealed class WalkingSkeletonTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(45);

    private readonly DockerEngine _docker = new();
    private readonly GitRepo _repo = new();
    private readonly string _app = "e2e-" + Guid.NewGuid().ToString("N")[..6];
    private readonly int _port = ConsoleProcess.FreePort();
    private ConsoleProcess? _console;

    public async Task InitializeAsync()
    {
        _repo.Commit("first version", ("compose.yaml", Compose("hello")));
        _console = await ConsoleProcess.StartAsync(new Dictionary<string, string>
        {
            ["ConOps:Console:PollInterval"] = "00:00:01",
            ["ConOps:LocalAgent:Enabled"] = "true",
        });
    }

    [Fact]
    public async Task An_app_goes_from_git_to_a_running_container_and_follows_every_commit()
    {
        var console = _console!;

        // Given an app declared through the API
        var created = await console.Http.PostAsJsonAsync("/api/apps", new { name = _app, repoUrl = _repo.Path, branch = "main", path = ".", hosts = new[] { "local" } });
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);

        // Then the container runs with the hash label and the API says synced
        var synced = await WaitForStatusAsync("synced");
        var hash = synced.GetProperty("configHash").GetString()!;
        Assert.StartsWith("v1:sha256:", hash, StringComparison.Ordinal);
        var container = await SingleContainerAsync();
        Assert.Equal(hash, container.Config.Labels["conops.config-hash"]);
        Assert.Equal("conops", container.Config.Labels["conops.manager"]);
        Assert.Equal(_app, container.Config.Labels["com.docker.compose.project"]);
        Assert.StartsWith("main@sha1:", container.Config.Labels["conops.revision"], StringComparison.Ordinal);
        Assert.Contains("GREETING=hello", container.Config.Env);
        Assert.Equal("v1", (await new HttpClient().GetStringAsync($"http://127.0.0.1:{_port}/")).Trim());

        // When a commit changes an environment variable
        _repo.Commit("greet in french", ("compose.yaml", Compose("bonjour")));

        // Then the container is recreated with the new value
        var recreated = await Eventually.Until(SingleContainerAsync, c => c.Config.Env.Contains("GREETING=bonjour") && c.State.Running, Converge, "the container to run with GREETING=bonjour");
        Assert.NotEqual(container.ID, recreated.ID);
        var afterChange = await WaitForStatusAsync("synced", s => s.GetProperty("configHash").GetString() != hash);
        Assert.Equal(recreated.Config.Labels["conops.config-hash"], afterChange.GetProperty("configHash").GetString());

        // When someone stops it by hand
        await _docker.Client.Containers.StopContainerAsync(recreated.ID, new ContainerStopParameters { WaitBeforeKillSeconds = 1 });

        // Then it is started again (same container: its config did not change)
        var healed = await Eventually.Until(SingleContainerAsync, c => c.State.Running && c.State.StartedAt != recreated.State.StartedAt, Converge, "the stopped container to be started again");
        Assert.Equal(recreated.ID, healed.ID);
        await WaitForStatusAsync("synced");

        // When a commit breaks the YAML
        _repo.Commit("oops", ("compose.yaml", "services:\n  web:\n    image: [broken\n"));

        // Then the API shows the parser's message, and the running container is untouched
        var broken = await WaitForStatusAsync("error");
        Assert.Contains("compose.yaml:", broken.GetProperty("error").GetString(), StringComparison.Ordinal);
        var untouched = await SingleContainerAsync();
        Assert.Equal(healed.ID, untouched.ID);
        Assert.True(untouched.State.Running);

        // And the history records each deployment with its commit and per-service outcome
        var history = await console.GetJsonAsync($"/api/history?app={_app}");
        var releases = history.EnumerateArray().ToList();
        Assert.Contains(releases, r => r.GetProperty("commitMessage").GetString() == "greet in french" && r.GetProperty("outcome").GetString() == "succeeded"
            && r.GetProperty("services").EnumerateArray().Any(s => s.GetProperty("action").GetString() == "recreated"));
        Assert.Contains(releases, r => r.GetProperty("commitMessage").GetString() == "first version" && r.GetProperty("outcome").GetString() == "succeeded");
        Assert.Contains(releases, r => r.GetProperty("trigger").GetString() == "self-heal"
            && r.GetProperty("services").EnumerateArray().Any(s => s.GetProperty("action").GetString() == "started"));
    }

    private string Compose(string greeting) => $"""
        services:
          web:
            image: conops-test/web:1
            command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
            environment:
              GREETING: {greeting}
            ports:
              - "127.0.0.1:{_port}:8080"
            labels:
              example.team: e2e
        """;

    private async Task<JsonElement> WaitForStatusAsync(string status, Func<JsonElement, bool>? also = null) =>
        (await Eventually.Until(
            () => _console!.ServiceAsync(_app, "web"),
            s => s is { } row && row.GetProperty("status").GetString() == status && (also is null || also(row)),
            Converge,
            $"service web to be {status}"))!.Value;

    private async Task<ContainerInspectResponse> SingleContainerAsync()
    {
        var containers = await _docker.ManagedContainersAsync(_app);
        if (containers.Count != 1)
        {
            throw new InvalidOperationException($"expected one container for {_app}, found {containers.Count}");
        }
        return await _docker.Client.Containers.InspectContainerAsync(containers[0].ID);
    }

    public async Task DisposeAsync()
    {
        if (_console is not null)
        {
            output.WriteLine(_console.Log);
            await _console.DisposeAsync();
        }
        await _docker.RemoveAppAsync(_app);
        _docker.Dispose();
        _repo.Dispose();
    }
}
