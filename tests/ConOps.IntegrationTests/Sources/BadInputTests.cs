using System.Net;
using System.Net.Http.Json;
using ConOps.IntegrationTests.Support;
using Xunit.Abstractions;

namespace ConOps.IntegrationTests.Sources;

/// <summary>Bad input shows its cause where the user looks, and the last good state keeps running.</summary>
[Collection(RealEngine.Name)]
public sealed class BadInputTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly SourcesScenario _s = new();

    public async Task InitializeAsync()
    {
        _s.Repo.Commit("first", ("compose.yaml", Compose("hello")));
        await _s.StartConsoleAsync();
        await _s.CreateAppAsync(new { name = _s.App, repoUrl = _s.Repo.Path, hosts = new[] { "local" } });
    }

    [Fact]
    public async Task Each_kind_of_bad_input_names_its_cause_and_never_touches_what_runs()
    {
        var running = await _s.WaitForContainerAsync("web", c => c.Config.Env.Contains("GREETING=hello"), "web to run");

        // A missing branch
        await PutAsync(new { repoUrl = _s.Repo.Path, branch = "no-such-branch", hosts = new[] { "local" } });
        await ErrorAsync("branch 'no-such-branch' does not exist");

        // An unreachable repository
        await PutAsync(new { repoUrl = $"git://127.0.0.1:{ConsoleProcess.FreePort()}/nothing.git", hosts = new[] { "local" } });
        var unreachable = await ErrorAsync("cannot reach repository");
        Assert.True(unreachable.GetProperty("errorIsTransient").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.String, unreachable.GetProperty("nextRetry").ValueKind);

        // A compose file that is not there
        await PutAsync(new { repoUrl = _s.Repo.Path, composeFiles = new[] { "missing.yaml" }, hosts = new[] { "local" } });
        await ErrorAsync("missing.yaml");

        // Invalid compose in a new commit
        await PutAsync(new { repoUrl = _s.Repo.Path, hosts = new[] { "local" } });
        await Eventually.Until(_s.AppAsync, a => a.GetProperty("error").ValueKind == System.Text.Json.JsonValueKind.Null, SourcesScenario.Converge, "the error to clear");
        _s.Repo.Commit("broken", ("compose.yaml", "services:\n  web:\n    image: [broken\n"));
        await ErrorAsync("compose.yaml:");

        // A path that leaves the repository is refused before it is saved
        var outside = await _s.Console.Http.PutAsJsonAsync($"/api/apps/{_s.App}", new { repoUrl = _s.Repo.Path, path = "../..", hosts = new[] { "local" } });
        Assert.Equal(HttpStatusCode.BadRequest, outside.StatusCode);
        Assert.Contains("inside the repository", await outside.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Through all of it, the first container kept running untouched
        var now = (await _s.ContainerAsync("web"))!;
        Assert.Equal(running.ID, now.ID);
        Assert.True(now.State.Running);

        // And a fixed commit heals the app; a forced sync then recreates even though nothing changed
        _s.Repo.Commit("fixed", ("compose.yaml", Compose("hello")));
        await Eventually.Until(_s.AppAsync, a => a.GetProperty("error").ValueKind == System.Text.Json.JsonValueKind.Null, SourcesScenario.Converge, "the error to clear after the fix");
        Assert.Equal(running.ID, (await _s.ContainerAsync("web"))!.ID);
        var forced = await _s.Console.Http.PostAsync($"/api/apps/{_s.App}/sync?host=local&force=true", null);
        Assert.Equal(HttpStatusCode.Accepted, forced.StatusCode);
        await _s.WaitForContainerAsync("web", c => c.ID != running.ID, "a forced sync to recreate web");
    }

    private async Task PutAsync(object definition)
    {
        var response = await _s.Console.Http.PutAsJsonAsync($"/api/apps/{_s.App}", definition);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<System.Text.Json.JsonElement> ErrorAsync(string cause) =>
        await Eventually.Until(_s.AppAsync, a => a.GetProperty("error").GetString()?.Contains(cause, StringComparison.Ordinal) == true, SourcesScenario.Converge, $"the app to show an error containing \"{cause}\"");

    private string Compose(string greeting) => $$"""
        services:
          web:
            image: conops-test/web:1
            command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
            environment:
              GREETING: {{greeting}}
            ports: ["127.0.0.1:{{_s.Port}}:8080"]
        """;

    public async Task DisposeAsync()
    {
        output.WriteLine(_s.Console?.Log ?? "");
        await _s.DisposeAsync();
    }
}
