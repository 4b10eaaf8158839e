using ConOps.IntegrationTests.Support;
using Xunit.Abstractions;

namespace ConOps.IntegrationTests.Sources;

/// <summary>The fleet itself in Git: hosts with labels and apps declared in a YAML file that the console follows.</summary>
[Collection(RealEngine.Name)]
public sealed class FleetFileTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly SourcesScenario _s = new();
    private readonly GitRepo _fleet = new();

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Apps_and_host_labels_follow_the_fleet_file_in_git()
    {
        // Given an app repository and a fleet repository that labels host local and selects it by label
        _s.Repo.Commit("app", ("compose.yaml", $$"""
            services:
              web:
                image: conops-test/web:1
                command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
                ports: ["127.0.0.1:{{_s.Port}}:8080"]
            """));
        _fleet.Commit("fleet", ("fleet/fleet.yaml", Fleet(withApp: true)));
        await _s.StartConsoleAsync(new()
        {
            ["ConOps:Sources:FleetFile"] = "fleet/fleet.yaml",
            ["ConOps:Sources:FleetRepoUrl"] = _fleet.Path,
        });

        // Then the app runs on the host its selector matches, and says where it was declared
        await _s.WaitForContainerAsync("web", _ => true, "the app declared in the fleet file to run");
        var app = await _s.AppAsync();
        Assert.Equal("fleet-file", app.GetProperty("source").GetString());

        // When a commit breaks the fleet file, nothing changes and the error names the place
        _fleet.Commit("typo", ("fleet/fleet.yaml", Fleet(withApp: true).Replace("hostSelector", "hostSelectr", StringComparison.Ordinal)));
        var refused = await Eventually.Until(() => _s.Console.GetJsonAsync("/api/fleet-file"), f => f.GetProperty("error").GetString()?.Contains("unknown field 'hostSelectr'", StringComparison.Ordinal) == true, SourcesScenario.Converge, "the fleet file error");
        Assert.Contains("fleet/fleet.yaml:", refused.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.NotNull(await _s.ContainerAsync("web"));

        // When a commit removes the app from the fleet file, it is removed from the console and the host
        _fleet.Commit("retire the app", ("fleet/fleet.yaml", Fleet(withApp: false)));
        await Eventually.Until(() => _s.ContainerAsync("web"), c => c is null, SourcesScenario.Converge, "the retired app's container to be removed");
        var apps = await _s.Console.GetJsonAsync("/api/apps");
        Assert.DoesNotContain(apps.EnumerateArray(), a => a.GetProperty("name").GetString() == _s.App);
    }

    private string Fleet(bool withApp) =>
        "hosts:\n" +
        "  - name: local\n" +
        $"    labels: {{role: \"{_s.App}\"}}\n" +
        (withApp
            ? $"apps:\n  - name: {_s.App}\n    repoUrl: {_s.Repo.Path}\n    hostSelector: {{role: \"{_s.App}\"}}\n"
            : "apps: []\n");

    public async Task DisposeAsync()
    {
        output.WriteLine(_s.Console?.Log ?? "");
        await _s.DisposeAsync();
        _fleet.Dispose();
    }
}
