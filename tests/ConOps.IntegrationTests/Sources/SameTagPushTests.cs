using ConOps.IntegrationTests.Support;
using Xunit.Abstractions;

namespace ConOps.IntegrationTests.Sources;

/// <summary>Registry digests end to end: a private registry (Basic auth), a re-pushed tag, and a rollback to the old digest.</summary>
[Collection(RealEngine.Name)]
public sealed class SameTagPushTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly SourcesScenario _s = new();
    private string _image = "";

    public async Task InitializeAsync()
    {
        // Given an image in a private registry under a repository no other test uses
        _image = $"{TestRegistries.Basic}/conops/{_s.App}:1";
        await _s.PushAsync(TestEnvironment.Require("CONOPS_TEST_IMAGE_WEB1"), _image, TestRegistries.BasicPassword);
        _s.Repo.Commit("two services", ("compose.yaml", $$"""
            services:
              web:
                image: {{_image}}
                command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
                ports: ["127.0.0.1:{{_s.Port}}:8080"]
              side:
                image: conops-test/busybox:1
                command: ["sleep", "3600"]
            """));
        await _s.StartConsoleAsync();
        // And an app that logs in to that registry
        await _s.CreateAppAsync(new
        {
            name = _s.App,
            repoUrl = _s.Repo.Path,
            hosts = new[] { "local" },
            registries = new[] { new { server = TestRegistries.Basic, username = TestRegistries.User, password = TestRegistries.BasicPassword } },
        });
    }

    [Fact]
    public async Task A_push_to_the_same_tag_redeploys_exactly_the_service_that_uses_it()
    {
        var web = await _s.WaitForContainerAsync("web", c => c.Config.Image.Contains("@sha256:", StringComparison.Ordinal), "web to run its image pinned by digest");
        var side = await _s.WaitForContainerAsync("side", _ => true, "side to run");
        var firstDigest = web.Config.Image[(web.Config.Image.IndexOf('@', StringComparison.Ordinal) + 1)..];
        Assert.Equal("v1", await _s.GetPageAsync());

        // When a new image is pushed to the same tag
        await _s.PushAsync(TestEnvironment.Require("CONOPS_TEST_IMAGE_WEB2"), _image, TestRegistries.BasicPassword);

        // Then web is recreated on the new digest and side is left alone
        var updated = await _s.WaitForContainerAsync("web", c => !c.Config.Image.EndsWith(firstDigest, StringComparison.Ordinal), "web to run the re-pushed image");
        Assert.NotEqual(web.ID, updated.ID);
        Assert.Equal("v2", await Eventually.Until(_s.GetPageAsync, p => p == "v2", SourcesScenario.Converge, "the page to say v2"));
        Assert.Equal(side.ID, (await _s.ContainerAsync("side"))!.ID);

        // And the release says which service changed, with both digests on record
        var releases = await Eventually.Until(() => _s.HistoryAsync(), r => r.Count >= 2 && r[0].GetProperty("outcome").GetString() == "succeeded", SourcesScenario.Converge, "the second release to finish");
        var services = releases[0].GetProperty("services").EnumerateArray().ToDictionary(s => s.GetProperty("service").GetString()!);
        Assert.Equal("recreated", services["web"].GetProperty("action").GetString());
        Assert.Equal("unchanged", services["side"].GetProperty("action").GetString());
        Assert.NotEqual(firstDigest, services["web"].GetProperty("imageDigest").GetString());
        Assert.Equal("poll", releases[0].GetProperty("trigger").GetString());

        // And the registry password appears in no API answer and no log line
        var apps = await _s.Console.Http.GetStringAsync("/api/apps");
        var history = await _s.Console.Http.GetStringAsync($"/api/history?app={_s.App}&model=true");
        Assert.DoesNotContain(TestRegistries.BasicPassword, apps, StringComparison.Ordinal);
        Assert.DoesNotContain(TestRegistries.BasicPassword, history, StringComparison.Ordinal);
        Assert.DoesNotContain(TestRegistries.BasicPassword, _s.Console.Log, StringComparison.Ordinal);
        Assert.Contains("\"registryPasswordsSet\":[\"" + TestRegistries.Basic + "\"]", apps, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rollback_restores_the_previous_digest_and_pauses_automated_sync_until_a_new_commit()
    {
        var web = await _s.WaitForContainerAsync("web", c => c.Config.Image.Contains("@sha256:", StringComparison.Ordinal), "web to run pinned by digest");
        var firstDigest = web.Config.Image[(web.Config.Image.IndexOf('@', StringComparison.Ordinal) + 1)..];
        var firstRelease = (await Eventually.Until(() => _s.HistoryAsync(), r => r.Count == 1, SourcesScenario.Converge, "the first release"))[0].GetProperty("id").GetInt64();
        await _s.PushAsync(TestEnvironment.Require("CONOPS_TEST_IMAGE_WEB2"), _image, TestRegistries.BasicPassword);
        await Eventually.Until(_s.GetPageAsync, p => p == "v2", SourcesScenario.Converge, "the re-pushed image to serve v2");

        // When the operator rolls back to the first release
        var response = await _s.Console.Http.PostAsync($"/api/apps/{_s.App}/rollback?host=local&release={firstRelease}", null);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        Assert.Contains("paused", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Then web runs the first digest again, and stays there although the tag now points elsewhere
        var rolledBack = await _s.WaitForContainerAsync("web", c => c.Config.Image.EndsWith(firstDigest, StringComparison.Ordinal), "web to run the first digest again");
        Assert.Equal("v1", await Eventually.Until(_s.GetPageAsync, p => p == "v1", SourcesScenario.Converge, "the page to say v1"));
        var target = (await _s.TargetAsync())!.Value;
        Assert.Equal("paused", target.GetProperty("state").GetString());
        Assert.Contains("resumes when a new commit arrives", target.GetProperty("pausedReason").GetString(), StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.Equal(rolledBack.ID, (await _s.ContainerAsync("web"))!.ID);
        Assert.Contains(await _s.HistoryAsync(), r => r.GetProperty("trigger").GetString() == "rollback");

        // When a new commit arrives, automated sync resumes and deploys the newest image
        _s.Repo.Commit("after the rollback", ("README.md", "notes"));
        await _s.WaitForContainerAsync("web", c => !c.Config.Image.EndsWith(firstDigest, StringComparison.Ordinal), "a new commit to lift the pause");
        Assert.Equal("deployed", (await _s.TargetAsync())!.Value.GetProperty("state").GetString());
    }

    public Task DisposeAsync()
    {
        output.WriteLine(_s.Console?.Log ?? "");
        return _s.DisposeAsync().AsTask();
    }
}
