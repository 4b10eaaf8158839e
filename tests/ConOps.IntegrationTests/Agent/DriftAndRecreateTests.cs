using ConOps.Contract;
using ConOps.IntegrationTests.Support;
using static ConOps.IntegrationTests.Agent.DesiredApps;
using Models = Docker.DotNet.Models;

namespace ConOps.IntegrationTests.Agent;

/// <summary>Drift is named by field, undone or left alone per policy; replacements pull first and roll back.</summary>
[Collection(RealEngine.Name)]
public sealed class DriftAndRecreateTests : IAsyncLifetime
{
    private readonly DockerEngine _engine = new();
    private readonly string _app = UniqueName("drift");
    private AgentUnderTest _agent = null!;

    public Task InitializeAsync()
    {
        _agent = new AgentUnderTest();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        await _engine.RemoveAppAsync(_app, volumes: true);
        _engine.Dispose();
    }

    [Fact]
    public async Task Given_self_heal_off_When_memory_and_restart_policy_are_changed_by_hand_Then_the_fields_are_named_and_left_alone()
    {
        // Given: the whole agent running (engine events, loop).
        await _agent.StartAsync();
        _agent.Deploy(App(_app, selfHeal: false, services: [Web("web")]));
        await Eventually.Until(() => Task.FromResult(_agent.Status(_app, "web")), s => s?.Sync == SyncStatus.Synced, TimeSpan.FromSeconds(30), "web synced");
        var id = (await _engine.InspectAsync($"{_app}-web-1")).ID;

        // When: an operator changes live configuration behind the label's back.
        _engine.Cli("update", "--memory", "64m", "--memory-swap", "128m", "--restart", "always", $"{_app}-web-1");

        // Then
        var status = await Eventually.Until(() => Task.FromResult(_agent.Status(_app, "web")), s => s?.Sync == SyncStatus.OutOfSync, TimeSpan.FromSeconds(10), "drift reported");
        Assert.Contains("resources.memory", status.DriftedFields);
        Assert.Contains("restart", status.DriftedFields);
        Assert.Contains("self-heal is off", status.Reason);
        Assert.Equal("67108864", status.LiveValues["resources.memory"]);
        Assert.Equal("always", status.LiveValues["restart"]);
        Assert.Equal(id, (await _engine.InspectAsync($"{_app}-web-1")).ID);

        // And a stopped container is reported, not started.
        _engine.Cli("stop", "-t", "1", $"{_app}-web-1");
        await Eventually.Until(() => Task.FromResult(_agent.Status(_app, "web")), s => s?.Health == HealthStatus.Degraded, TimeSpan.FromSeconds(10), "stopped reported");
        await _agent.ReconcileAsync(_app);
        Assert.False((await _engine.InspectAsync($"{_app}-web-1")).State.Running);
        Assert.Contains("not running", _agent.Status(_app, "web")!.DriftedFields);
    }

    [Fact]
    public async Task Given_self_heal_on_When_live_config_is_changed_by_hand_Then_the_container_is_recreated_to_the_desired_config()
    {
        // Given
        await _agent.StartAsync();
        _agent.Deploy(App(_app, services: [Web("web")]));
        await Eventually.Until(() => Task.FromResult(_agent.Status(_app, "web")), s => s?.Sync == SyncStatus.Synced, TimeSpan.FromSeconds(30), "web synced");
        var id = (await _engine.InspectAsync($"{_app}-web-1")).ID;

        // When
        _engine.Cli("update", "--restart", "always", $"{_app}-web-1");

        // Then
        var live = await Eventually.Until(() => _engine.InspectAsync($"{_app}-web-1"), c => c.ID != id && c.State.Running, TimeSpan.FromSeconds(15), "web recreated");
        Assert.Equal(Models.RestartPolicyKind.No, live.HostConfig.RestartPolicy.Name);
        Assert.Single(await _engine.ManagedContainersAsync(_app));
        await Eventually.Until(() => Task.FromResult(_agent.Status(_app, "web")), s => s?.Sync == SyncStatus.Synced && s.ContainerId == live.ID, TimeSpan.FromSeconds(10), "web synced again");
    }

    [Fact]
    public async Task Given_a_running_service_When_its_new_version_crashes_on_start_Then_it_is_rolled_back_and_the_old_container_keeps_serving()
    {
        // Given: web:1 on a host port.
        var port = (uint)ConsoleProcess.FreePort();
        var web = Web("web");
        web.Ports.Add(new PortBinding { Target = 8080, Published = port, HostIp = "127.0.0.1", Protocol = "tcp" });
        var app = App(_app, services: [web]);
        _agent.Deploy(app);
        await _agent.ReconcileAsync(_app);
        var oldId = (await _engine.InspectAsync($"{_app}-web-1")).ID;

        // When: the new version exits at once.
        var broken = web.Clone();
        broken.Image = "conops-test/web:2";
        broken.Command.AddRange(["sh", "-c", "exit 3"]);
        _agent.Deploy(With(app, broken));
        await _agent.ReconcileAsync(_app);

        // Then
        var live = await _engine.InspectAsync($"{_app}-web-1");
        Assert.Equal(oldId, live.ID);
        Assert.True(live.State.Running);
        Assert.Single(await _engine.ManagedContainersAsync(_app));
        using var http = new HttpClient();
        Assert.Equal("v1\n", await http.GetStringAsync($"http://127.0.0.1:{port}/"));
        var status = _agent.Status(_app, "web")!;
        Assert.Equal(HealthStatus.Degraded, status.Health);
        Assert.Equal(SyncStatus.OutOfSync, status.Sync);
        Assert.StartsWith("rolled back: the new container exited with code 3", status.Reason);
    }

    [Fact]
    public async Task Given_a_replacement_When_its_new_container_runs_Then_the_stream_says_synced_at_once_and_healthy_after_the_window()
    {
        // Given: a long stabilization window, so "at once" and "after the window" are far apart.
        await using var agent = new AgentUnderTest(settings: new Dictionary<string, string?> { ["ConOps:Agent:StabilizationWindow"] = "00:00:04" });
        var app = App(_app, services: [Web("web")]);
        agent.Deploy(app);
        await agent.ReconcileAsync(_app);
        var oldId = (await _engine.InspectAsync($"{_app}-web-1")).ID;
        Drain(agent);

        // When
        var changed = Web("web");
        changed.Environment.Add("LEVEL", "debug");
        var next = With(app, changed);
        agent.Deploy(next);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var reconcile = agent.ReconcileAsync(_app);
        var (progressAt, progress) = await NextStatusAsync(agent, clock, s => s.Sync == SyncStatus.Synced);

        // Then: Synced and Progressing on the new container while the old one still exists.
        Assert.Equal(HealthStatus.Progressing, progress.Health);
        Assert.Equal(next.Services[0].ConfigHash, progress.ConfigHash);
        Assert.NotEqual(oldId, progress.ContainerId);
        Assert.True(progressAt < TimeSpan.FromSeconds(3.5), $"reported after {progressAt.TotalSeconds:0.00} s");
        Assert.Contains(await _engine.ManagedContainersAsync(_app), c => c.ID == oldId);
        var (healthyAt, healthy) = await NextStatusAsync(agent, clock, s => s.Health == HealthStatus.Healthy);
        Assert.True(healthyAt >= progressAt + TimeSpan.FromSeconds(3.5), $"healthy after {healthyAt.TotalSeconds:0.00} s, progressing after {progressAt.TotalSeconds:0.00} s");
        Assert.Equal(progress.ContainerId, healthy.ContainerId);
        await reconcile;
        Assert.Equal(progress.ContainerId, Assert.Single(await _engine.ManagedContainersAsync(_app)).ID);
    }

    [Fact]
    public async Task Given_a_replacement_reported_synced_When_it_dies_within_the_window_Then_it_is_still_rolled_back()
    {
        // Given
        await using var agent = new AgentUnderTest(settings: new Dictionary<string, string?> { ["ConOps:Agent:StabilizationWindow"] = "00:00:04" });
        var app = App(_app, services: [Web("web")]);
        agent.Deploy(app);
        await agent.ReconcileAsync(_app);
        var oldId = (await _engine.InspectAsync($"{_app}-web-1")).ID;
        Drain(agent);

        // When: the new version runs for a second, then exits.
        var dying = Web("web", "conops-test/web:2");
        dying.Command.AddRange(["sh", "-c", "sleep 1; exit 4"]);
        agent.Deploy(With(app, dying));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var reconcile = agent.ReconcileAsync(_app);
        await NextStatusAsync(agent, clock, s => s.Sync == SyncStatus.Synced && s.Health == HealthStatus.Progressing);
        await reconcile;

        // Then
        var live = await _engine.InspectAsync($"{_app}-web-1");
        Assert.Equal(oldId, live.ID);
        Assert.True(live.State.Running);
        var status = agent.Status(_app, "web")!;
        Assert.Equal(SyncStatus.OutOfSync, status.Sync);
        Assert.StartsWith("rolled back: the new container exited with code 4", status.Reason);
    }

    private static void Drain(AgentUnderTest agent)
    {
        while (agent.Outbox.Reader.TryRead(out _))
        {
        }
    }

    /// <summary>The next status the agent streams for the app's web service that matches, and when it came.</summary>
    private async Task<(TimeSpan At, ServiceStatus Status)> NextStatusAsync(AgentUnderTest agent, System.Diagnostics.Stopwatch clock, Func<ServiceStatus, bool> match)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var message = await agent.Outbox.Reader.ReadAsync(timeout.Token);
            if (message.Status?.Services.FirstOrDefault(s => s.App == _app && s.Service == "web" && match(s)) is { } status)
            {
                return (clock.Elapsed, status);
            }
        }
    }

    [Fact]
    public async Task Given_a_running_service_When_its_new_image_cannot_be_pulled_Then_the_old_container_keeps_running_and_the_pull_error_is_shown()
    {
        // Given
        var app = App(_app, services: [Web("web")]);
        _agent.Deploy(app);
        await _agent.ReconcileAsync(_app);
        var oldId = (await _engine.InspectAsync($"{_app}-web-1")).ID;

        // When: the new image lives on a registry nobody answers.
        var moved = Web("web", $"127.0.0.1:{ConsoleProcess.FreePort()}/nowhere/web:9");
        _agent.Deploy(With(app, moved));
        await _agent.ReconcileAsync(_app);

        // Then
        var live = await _engine.InspectAsync($"{_app}-web-1");
        Assert.Equal(oldId, live.ID);
        Assert.True(live.State.Running);
        var status = _agent.Status(_app, "web")!;
        Assert.Equal(HealthStatus.Degraded, status.Health);
        Assert.Contains("pull of", status.Reason);
        Assert.Contains("nowhere/web", status.Reason);
    }

    [Fact]
    public async Task Given_a_private_registry_When_a_service_pins_an_image_digest_Then_the_agent_pulls_it_with_the_apps_credentials()
    {
        // Given: a unique repository on the Basic-auth registry, pushed from the local test image.
        var registry = TestEnvironment.Require("CONOPS_TEST_REGISTRY_BASIC");
        var user = TestEnvironment.Require("CONOPS_TEST_REGISTRY_USER");
        var password = TestEnvironment.Require("CONOPS_TEST_REGISTRY_BASIC_PASSWORD");
        var repository = $"{registry}/conops-agent-test/{_app}";
        var auth = new Models.AuthConfig { Username = user, Password = password, ServerAddress = registry };
        await _engine.Client.Images.TagImageAsync("conops-test/web:1", new Models.ImageTagParameters { RepositoryName = repository, Tag = "1" });
        await _engine.Client.Images.PushImageAsync(repository, new Models.ImagePushParameters { Tag = "1" }, auth, new Progress<Models.JSONMessage>());
        var digest = (await _engine.Client.Images.InspectImageAsync($"{repository}:1")).RepoDigests.Single(d => d.StartsWith(repository, StringComparison.Ordinal)).Split('@')[1];
        await _engine.Client.Images.DeleteImageAsync($"{repository}:1", new Models.ImageDeleteParameters());
        try
        {
            // When: no credentials first, then with them.
            var spec = Web("web", $"{repository}:1");
            spec.ImageDigest = digest;
            var app = App(_app, services: [spec]);
            _agent.Deploy(app);
            await _agent.ReconcileAsync(_app);
            var refused = _agent.Status(_app, "web")!;

            var withCredentials = app.Clone();
            withCredentials.RegistryCredentials.Add(new RegistryCredential { Server = registry, Username = user, Password = password });
            _agent.Deploy(withCredentials);
            await _agent.Reconciler.ReconcileNowAsync(_app, force: true, CancellationToken.None);

            // Then
            Assert.Equal(HealthStatus.Degraded, refused.Health);
            Assert.Equal(SyncStatus.OutOfSync, refused.Sync);
            Assert.Contains("container missing", refused.DriftedFields);
            Assert.Contains("pull of", refused.Reason);
            var live = await _engine.InspectAsync($"{_app}-web-1");
            Assert.True(live.State.Running);
            Assert.Equal($"{repository}@{digest}", live.Config.Image);
            var status = _agent.Status(_app, "web")!;
            Assert.Equal(digest, status.ImageDigest);
            Assert.Equal(SyncStatus.Synced, status.Sync);
            Assert.DoesNotContain(password, status.ToString());
        }
        finally
        {
            await _engine.RemoveAppAsync(_app, volumes: true);
            foreach (var image in await _engine.Client.Images.ListImagesAsync(new Models.ImagesListParameters { Filters = new Dictionary<string, IDictionary<string, bool>> { ["reference"] = new Dictionary<string, bool> { [repository] = true } } }))
            {
                foreach (var reference in (image.RepoDigests ?? []).Concat(image.RepoTags ?? []).Where(r => r.StartsWith(repository, StringComparison.Ordinal)))
                {
                    await _engine.Client.Images.DeleteImageAsync(reference, new Models.ImageDeleteParameters());
                }
            }
        }
    }
}
