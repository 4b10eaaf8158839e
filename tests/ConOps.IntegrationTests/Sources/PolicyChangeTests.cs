using System.Net.Http.Json;
using ConOps.IntegrationTests.Support;
using Xunit.Abstractions;

namespace ConOps.IntegrationTests.Sources;

/// <summary>A change of sync policy alone reaches the agent as a release that completes, and the host shows its generation.</summary>
[Collection(RealEngine.Name)]
public sealed class PolicyChangeTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly SourcesScenario _s = new();

    public async Task InitializeAsync()
    {
        _s.Repo.Commit("first", ("compose.yaml", """
            services:
              web:
                image: conops-test/busybox:1
                command: ["sleep", "3600"]
            """));
        await _s.StartConsoleAsync();
        await _s.CreateAppAsync(new { name = _s.App, repoUrl = _s.Repo.Path, hosts = new[] { "local" } });
    }

    [Fact]
    public async Task Turning_self_heal_off_is_a_release_that_completes_without_touching_the_container()
    {
        var running = await _s.WaitForContainerAsync("web", _ => true, "web to run");
        await Eventually.Until(() => _s.HistoryAsync(), r => r.Count == 1 && r[0].GetProperty("outcome").GetString() == "succeeded", SourcesScenario.Converge, "the first release");

        // When someone turns self-heal off
        var put = await _s.Console.Http.PutAsJsonAsync($"/api/apps/{_s.App}", new { repoUrl = _s.Repo.Path, hosts = new[] { "local" }, policy = new { selfHeal = false } });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());

        // Then a second release is recorded and closed by the agent (nothing left pending), the container untouched
        var releases = await Eventually.Until(() => _s.HistoryAsync(), r => r.Count == 2 && r[0].GetProperty("outcome").GetString() != "pending", SourcesScenario.Converge, "the policy release to complete");
        Assert.Equal("no-change", releases[0].GetProperty("outcome").GetString());
        Assert.Equal("manual", releases[0].GetProperty("trigger").GetString());
        Assert.Equal(running.ID, (await _s.ContainerAsync("web"))!.ID);

        // And the host shows the generation its agent applied last
        var generation = releases[0].GetProperty("generation").GetInt64();
        await Eventually.Until(() => _s.Console.GetJsonAsync("/api/hosts/local"), h => h.GetProperty("appliedGeneration").GetInt64() == generation, SourcesScenario.Converge, "the host's applied generation");
    }

    public Task DisposeAsync()
    {
        output.WriteLine(_s.Console?.Log ?? "");
        return _s.DisposeAsync().AsTask();
    }
}
