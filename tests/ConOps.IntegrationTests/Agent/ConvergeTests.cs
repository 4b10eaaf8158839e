using System.Security.Cryptography;
using System.Text;
using ConOps.Contract;
using ConOps.IntegrationTests.Support;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using static ConOps.IntegrationTests.Agent.DesiredApps;
using Models = Docker.DotNet.Models;

namespace ConOps.IntegrationTests.Agent;

/// <summary>The agent brings an app up on a real engine: networks, volumes, files, dependency order, Compose compatibility.</summary>
[Collection(RealEngine.Name)]
public sealed class ConvergeTests : IAsyncLifetime
{
    private readonly DockerEngine _engine = new();
    private readonly string _app = UniqueName("conv");
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
    public async Task Given_an_app_with_networks_volumes_files_and_dependencies_When_reconciled_Then_everything_runs_in_order_and_compose_sees_it()
    {
        // Given: init must complete, db must be healthy, then web starts; web reads a config file and a secret.
        var config = Content("port=8080\n");
        var secret = Content("s3cret\n");
        var init = new ServiceSpec { Name = "init", Image = "conops-test/busybox:1", Command = { "sh", "-c", "exit 0" } };
        var db = Web("db");
        db.Healthcheck = new Healthcheck { Test = { "CMD-SHELL", "exit 0" }, Interval = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(500)), Retries = 3 };
        db.Mounts.Add(new Mount { Type = "volume", Source = $"{_app}_data", Target = "/data" });
        db.Networks.Add(new NetworkAttachment { Name = "back" });
        var web = Web("web");
        web.DependsOn.Add(new Dependency { Service = "db", Condition = "service_healthy", Required = true });
        web.DependsOn.Add(new Dependency { Service = "init", Condition = "service_completed_successfully", Required = true });
        web.Networks.Add(new NetworkAttachment { Name = "back" });
        web.Networks.Add(new NetworkAttachment { Name = "default" });
        web.Configs.Add(new FileMount { Source = "app.conf", Target = "/etc/app.conf", ContentDigest = config.Digest });
        web.Secrets.Add(new FileMount { Source = "token", ContentDigest = secret.Digest });
        var app = App(_app, services: [web, db, init]);
        app.Networks.Add(new NetworkSpec { Name = "back", EngineName = $"{_app}_back", Driver = "bridge" });
        app.Volumes.Add(new VolumeSpec { Name = "data", EngineName = $"{_app}_data" });
        app.Files.Add(config);
        app.Files.Add(secret);

        // When
        _agent.Deploy(app);
        var plan = await _agent.ReconcileAsync(_app);

        // Then: all converged, in dependency order.
        Assert.NotNull(plan);
        Assert.Equal(["db", "init", "web"], plan.Services.Select(s => s.Name));
        Assert.All(plan.Services, s => Assert.Empty(s.DriftedFields));
        var dbInspect = await _engine.InspectAsync($"{_app}-db-1");
        var initInspect = await _engine.InspectAsync($"{_app}-init-1");
        var webInspect = await _engine.InspectAsync($"{_app}-web-1");
        Assert.Equal("healthy", dbInspect.State.Health.Status);
        Assert.Equal(0, initInspect.State.ExitCode);
        Assert.True(webInspect.State.Running);
        Assert.True(DateTimeOffset.Parse(webInspect.State.StartedAt) > DateTimeOffset.Parse(initInspect.State.FinishedAt), "web started before init completed");
        Assert.Equal(HealthStatus.Healthy, _agent.Status(_app, "init")!.Health);
        Assert.Equal("completed successfully", _agent.Status(_app, "init")!.Reason);

        // Networks and volume exist with Compose's names and labels.
        var back = (await _engine.Client.Networks.ListNetworksAsync()).Single(n => n.Name == $"{_app}_back");
        Assert.Equal(_app, back.Labels["com.docker.compose.project"]);
        Assert.Equal("back", back.Labels["com.docker.compose.network"]);
        Assert.Contains((await _engine.Client.Networks.ListNetworksAsync()), n => n.Name == $"{_app}_default");
        var volume = await _engine.Client.Volumes.InspectAsync($"{_app}_data");
        Assert.Equal("data", volume.Labels["com.docker.compose.volume"]);
        Assert.Equal([$"{_app}_back", $"{_app}_default"], webInspect.NetworkSettings.Networks.Keys.Order());

        // Files are mounted read-only from the content-addressed store, with the expected content.
        var configMount = webInspect.Mounts.Single(m => m.Destination == "/etc/app.conf");
        Assert.StartsWith(Path.Combine(_agent.DataDirectory, "files", "sha256"), configMount.Source);
        Assert.False(configMount.RW);
        Assert.Equal("port=8080\n", File.ReadAllText(configMount.Source));
        Assert.Equal("s3cret\n", _engine.Cli("exec", $"{_app}-web-1", "cat", "/run/secrets/token"));

        // Compose sees the project: ps lists the services, logs works.
        var composeFile = webInspect.Config.Labels["com.docker.compose.project.config_files"];
        var ps = EngineCleanup.Run(_engine.Endpoint, "docker-compose", "-p", _app, "-f", composeFile, "ps");
        Assert.Contains($"{_app}-web-1", ps);
        Assert.Contains($"{_app}-db-1", ps);
        EngineCleanup.Run(_engine.Endpoint, "docker-compose", "-p", _app, "-f", composeFile, "logs", "--no-color", "web");
    }

    [Fact]
    public async Task Given_a_converged_app_When_reconciled_100_times_Then_nothing_is_recreated_and_engine_calls_stay_constant()
    {
        // Given: a service using most fields the agent controls, reached through a call-counting proxy.
        await using var counter = new EngineCallCounter(TestEnvironment.DockerHost);
        await using var agent = new AgentUnderTest(counter.Endpoint);
        var rich = Web("rich");
        rich.Environment.Add("MODE", "prod");
        rich.Labels.Add("team", "infra");
        rich.Ports.Add(new PortBinding { Target = 8080, Published = (uint)ConsoleProcess.FreePort(), HostIp = "127.0.0.1", Protocol = "tcp" });
        rich.Resources = new Resources { MemoryBytes = 64 * 1024 * 1024, Cpus = 0.5, PidsLimit = 100 };
        rich.Restart = "unless-stopped";
        rich.Healthcheck = new Healthcheck { Test = { "CMD-SHELL", "exit 0" }, Interval = Duration.FromTimeSpan(TimeSpan.FromSeconds(30)) };
        rich.Mounts.Add(new Mount { Type = "tmpfs", Target = "/scratch", TmpfsSizeBytes = 1 << 20 });
        rich.Mounts.Add(new Mount { Type = "volume", Source = $"{_app}_cache", Target = "/cache" });
        rich.CapDrop.Add("NET_RAW");
        rich.ExtraHosts.Add("db.local:127.0.0.1");
        rich.Init = true;
        rich.User = "0:0";
        rich.WorkingDir = "/www";
        rich.Ulimits.Add("nofile", new Ulimit { Soft = 1024, Hard = 2048 });
        var app = App(_app, services: [rich, Web("plain")]);
        app.Volumes.Add(new VolumeSpec { Name = "cache", EngineName = $"{_app}_cache" });
        agent.Deploy(app);
        await agent.ReconcileAsync(_app);
        var ids = (await _engine.ManagedContainersAsync(_app)).Select(c => c.ID).Order().ToList();
        await agent.ReconcileAsync(_app); // warms the inspect cache after the apply's own events

        // When
        var before = counter.Requests;
        for (var i = 0; i < 100; i++)
        {
            var plan = await agent.ReconcileAsync(_app);
            Assert.False(plan!.HasChanges, string.Join("; ", plan.Services.Select(s => $"{s.Name}: {s.Reason}")));
        }
        var calls = counter.Requests - before;

        // Then
        Assert.Equal(ids, (await _engine.ManagedContainersAsync(_app)).Select(c => c.ID).Order().ToList());
        Assert.Equal(100, calls); // one filtered list per reconcile, nothing else
        Assert.All(agent.Statuses.Snapshot().Services, s => Assert.Equal(SyncStatus.Synced, s.Sync));
    }

    [Fact]
    public async Task Given_a_three_service_app_When_one_service_changes_Then_only_its_container_is_replaced_and_the_changed_field_is_named()
    {
        // Given
        var app = App(_app, services: [Web("a"), Web("b"), Web("c")]);
        _agent.Deploy(app);
        await _agent.ReconcileAsync(_app);
        var before = (await _engine.ManagedContainersAsync(_app)).ToDictionary(c => c.Labels["conops.service"], c => c.ID);

        // When: b gets a new environment variable.
        var b = Web("b");
        b.Environment.Add("LEVEL", "debug");
        var next = With(app, b);
        next.Revision = "main@sha1:" + new string('b', 40);
        _agent.Desired.TryReplace(new DesiredState { Generation = 99, Apps = { next } });
        using var engineClient = new ConOps.Agent.Docker.EngineClient(TestEnvironment.DockerHost);
        var listed = await engineClient.ListContainersAsync([$"conops.app={_app}"], CancellationToken.None);
        var firstPlan = ConOps.Agent.Reconcile.ReconcilePlan.For(next, [.. listed.Select(ConOps.Agent.Reconcile.ObservedContainer.From)], force: false);
        await _agent.ReconcileAsync(_app);

        // Then
        var recreate = Assert.Single(firstPlan.ToRecreate);
        Assert.Equal("b", recreate.Name);
        Assert.Equal(["environment"], recreate.DriftedFields);
        var after = (await _engine.ManagedContainersAsync(_app)).ToDictionary(c => c.Labels["conops.service"], c => c.ID);
        Assert.Equal(before["a"], after["a"]);
        Assert.Equal(before["c"], after["c"]);
        Assert.NotEqual(before["b"], after["b"]);
        Assert.Equal(3, after.Count);
        Assert.Contains("LEVEL=debug", (await _engine.InspectAsync($"{_app}-b-1")).Config.Env);
    }

    [Fact]
    public async Task Given_prune_on_or_off_When_a_service_is_removed_Then_it_is_pruned_or_reported_as_orphan_and_unmanaged_containers_are_untouched()
    {
        // Given: two services and an unmanaged container carrying the app's compose label.
        var unmanaged = await _engine.Client.Containers.CreateContainerAsync(new Models.CreateContainerParameters
        {
            Image = "conops-test/busybox:1",
            Name = $"{_app}-unmanaged",
            Cmd = ["sleep", "300"],
            Labels = new Dictionary<string, string> { ["com.docker.compose.project"] = _app },
        });
        try
        {
            var app = App(_app, prune: false, services: [Web("keep"), Web("old")]);
            _agent.Deploy(app);
            await _agent.ReconcileAsync(_app);

            // When: "old" leaves the desired state with prune off.
            var withoutOld = app.Clone();
            withoutOld.Services.RemoveAt(withoutOld.Services.ToList().FindIndex(s => s.Spec.Name == "old"));
            _agent.Deploy(withoutOld);
            await _agent.ReconcileAsync(_app);

            // Then: reported as an orphan and left alone.
            var orphan = _agent.Status(_app, "old")!;
            Assert.Equal(SyncStatus.OutOfSync, orphan.Sync);
            Assert.Contains("orphan", orphan.DriftedFields);
            Assert.Contains((await _engine.ManagedContainersAsync(_app)), c => c.Labels["conops.service"] == "old");

            // When: prune is switched on.
            var pruning = withoutOld.Clone();
            pruning.Policy.Prune = true;
            _agent.Deploy(pruning);
            await _agent.ReconcileAsync(_app);

            // Then: removed, and the unmanaged container is untouched.
            Assert.DoesNotContain((await _engine.ManagedContainersAsync(_app)), c => c.Labels["conops.service"] == "old");
            Assert.Null(_agent.Status(_app, "old"));
            Assert.NotNull(await _engine.InspectAsync(unmanaged.ID));
        }
        finally
        {
            await _engine.Client.Containers.RemoveContainerAsync(unmanaged.ID, new Models.ContainerRemoveParameters { Force = true });
        }
    }

    [Fact]
    public async Task Given_a_scaled_service_When_scaled_up_and_down_Then_replicas_are_numbered_and_the_highest_numbers_go_first()
    {
        // Given: three replicas.
        var web = Web("web");
        web.Scale = 3;
        var app = App(_app, services: [web]);
        _agent.Deploy(app);
        await _agent.ReconcileAsync(_app);
        var replicas = await ReplicasAsync();
        Assert.Equal([1, 2, 3], replicas.Keys);
        foreach (var (number, id) in replicas)
        {
            var inspect = await _engine.InspectAsync(id);
            Assert.Equal($"/{_app}-web-{number}", inspect.Name);
            Assert.True(inspect.State.Running);
        }
        var status = _agent.Status(_app, "web")!;
        Assert.Equal((SyncStatus.Synced, HealthStatus.Healthy, "3 replicas running"), (status.Sync, status.Health, status.Reason));

        // When: scaled down to two, then (after replica 1 is stopped by hand) up to four.
        web.Scale = 2;
        _agent.Deploy(With(app, web));
        await _agent.ReconcileAsync(_app);
        var two = await ReplicasAsync();
        _engine.Cli("stop", "-t", "1", $"{_app}-web-1");
        web.Scale = 4;
        var four = With(app, web);
        _agent.Deploy(four);
        await _agent.ReconcileAsync(_app);

        // Then: scaling down removed the highest number and kept the others; scaling up kept them again,
        // started replica 1 again and numbered the new ones 3 and 4.
        Assert.Equal(new Dictionary<int, string> { [1] = replicas[1], [2] = replicas[2] }, two);
        var after = await ReplicasAsync();
        Assert.Equal([1, 2, 3, 4], after.Keys);
        Assert.Equal(replicas[1], after[1]);
        Assert.Equal(replicas[2], after[2]);
        Assert.DoesNotContain(replicas[3], after.Values);
        Assert.True((await _engine.InspectAsync($"{_app}-web-1")).State.Running);
        status = _agent.Status(_app, "web")!;
        Assert.Equal((SyncStatus.Synced, HealthStatus.Healthy, "4 replicas running", four.Services[0].ConfigHash), (status.Sync, status.Health, status.Reason, status.ConfigHash));
        Assert.False((await _agent.ReconcileAsync(_app))!.HasChanges);
    }

    [Fact]
    public async Task Given_depends_on_with_restart_true_When_the_dependency_is_recreated_Then_that_dependent_restarts_and_the_others_do_not()
    {
        // Given: follower restarts with db, bystander only waits for it.
        var db = Web("db");
        var follower = Web("follower");
        follower.DependsOn.Add(new Dependency { Service = "db", Condition = "service_started", Required = true, Restart = true });
        var bystander = Web("bystander");
        bystander.DependsOn.Add(new Dependency { Service = "db", Condition = "service_started", Required = true });
        var app = App(_app, services: [db, follower, bystander]);
        _agent.Deploy(app);
        await _agent.ReconcileAsync(_app);
        var followerBefore = await _engine.InspectAsync($"{_app}-follower-1");
        var bystanderBefore = await _engine.InspectAsync($"{_app}-bystander-1");
        Drain();

        // When: db changes.
        var changed = Web("db");
        changed.Environment.Add("VERSION", "2");
        _agent.Deploy(With(app, changed));
        await _agent.ReconcileAsync(_app);

        // Then: same containers for both dependents; only the one asking for it was restarted, after the new db started.
        var dbAfter = await _engine.InspectAsync($"{_app}-db-1");
        var followerAfter = await _engine.InspectAsync($"{_app}-follower-1");
        var bystanderAfter = await _engine.InspectAsync($"{_app}-bystander-1");
        Assert.Equal(followerBefore.ID, followerAfter.ID);
        Assert.True(followerAfter.State.Running);
        Assert.True(DateTimeOffset.Parse(followerAfter.State.StartedAt) > DateTimeOffset.Parse(dbAfter.State.StartedAt), "follower was not restarted after db");
        Assert.Equal(bystanderBefore.ID, bystanderAfter.ID);
        Assert.Equal(bystanderBefore.State.StartedAt, bystanderAfter.State.StartedAt);
        var result = Results().Last(r => r.App == _app);
        var outcome = result.Services.Single(s => s.Service == "follower");
        Assert.Equal((ApplyAction.Started, "restarted because its dependency db was updated (depends_on restart: true)"), (outcome.Action, outcome.Reason));
        Assert.Equal(ApplyAction.Unchanged, result.Services.Single(s => s.Service == "bystander").Action);
    }

    [Fact]
    public async Task Given_two_apps_When_both_leave_the_desired_state_Then_the_pruning_one_is_removed_and_the_other_is_reported_as_orphans()
    {
        // Given: the whole agent running; one app prunes, the other does not.
        var other = _app + "k";
        try
        {
            await _agent.StartAsync();
            _agent.Deploy(App(_app, prune: true, services: [Web("web")]), App(other, prune: false, services: [Web("web")]));
            await Eventually.Until(() => Task.FromResult(_agent.Statuses.Snapshot().Services.Count(s => s.Sync == SyncStatus.Synced && (s.App == _app || s.App == other))), n => n == 2, TimeSpan.FromSeconds(30), "both apps synced");

            // When: the console stops sending both.
            _agent.Deploy();

            // Then
            await Eventually.Until(() => _engine.ManagedContainersAsync(_app), c => c.Count == 0, TimeSpan.FromSeconds(20), "the pruning app's containers removed");
            await Eventually.Until(() => Task.FromResult(_agent.Status(_app, "web")), s => s is null, TimeSpan.FromSeconds(10), "the pruning app no longer reported");
            Assert.DoesNotContain(await _engine.Client.Networks.ListNetworksAsync(), n => n.Name == $"{_app}_default");
            var orphan = await Eventually.Until(() => Task.FromResult(_agent.Status(other, "web")), s => s?.DriftedFields.Contains("orphan") == true, TimeSpan.FromSeconds(20), "the other app reported as orphan");
            Assert.Equal(SyncStatus.OutOfSync, orphan.Sync);
            Assert.Contains("its last policy did not prune", orphan.Reason);
            Assert.True((await _engine.InspectAsync($"{other}-web-1")).State.Running);
        }
        finally
        {
            await _agent.DisposeAsync();
            _agent = new AgentUnderTest();
            await _engine.RemoveAppAsync(other, volumes: true);
        }
    }

    [Fact]
    public async Task Given_an_app_deleted_in_the_console_When_it_arrives_with_no_services_and_prune_on_Then_its_containers_and_networks_go_and_volumes_stay()
    {
        // Given: a deployed app with its default network and a named volume.
        var web = Web("web");
        web.Mounts.Add(new Mount { Type = "volume", Source = $"{_app}_data", Target = "/data" });
        var app = App(_app, prune: true, services: [web]);
        app.Volumes.Add(new VolumeSpec { Name = "data", EngineName = $"{_app}_data" });
        _agent.Deploy(app);
        await _agent.ReconcileAsync(_app);
        Assert.Contains(await _engine.Client.Networks.ListNetworksAsync(), n => n.Name == $"{_app}_default");

        // When: the console deletes the app, it keeps sending it without services until every host removed it.
        var deleted = app.Clone();
        deleted.Services.Clear();
        deleted.Revision = "deleted";
        _agent.Deploy(deleted);
        await _agent.ReconcileAsync(_app);

        // Then: its containers and its network are gone; the volume (data) stays.
        Assert.Empty(await _engine.ManagedContainersAsync(_app));
        Assert.DoesNotContain(await _engine.Client.Networks.ListNetworksAsync(), n => n.Name == $"{_app}_default");
        Assert.Contains((await _engine.Client.Volumes.ListAsync(CancellationToken.None)).Volumes, v => v.Name == $"{_app}_data");
    }

    [Fact]
    public async Task Given_secrets_and_configs_with_uid_gid_and_mode_When_mounted_Then_the_files_have_that_owner_and_mode_inside_the_container()
    {
        // Given: one content mounted three ways.
        var content = Content("token\n");
        var web = Web("web");
        web.Secrets.Add(new FileMount { Source = "owned", ContentDigest = content.Digest, Uid = "1000", Gid = "1001", Mode = 256 }); // 0400
        web.Secrets.Add(new FileMount { Source = "group-only", ContentDigest = content.Digest, Gid = "1002", Mode = 288 }); // 0440
        web.Configs.Add(new FileMount { Source = "plain", Target = "/etc/plain.conf", ContentDigest = content.Digest });
        var app = App(_app, services: [web]);
        app.Files.Add(content);

        // When
        _agent.Deploy(app);
        await _agent.ReconcileAsync(_app);

        // Then: owner and mode as asked; a file without them is root's, 0444; nothing drifts.
        string Stat(string path) => _engine.Cli("exec", $"{_app}-web-1", "busybox", "stat", "-c", "%u %g %a", path).Trim();
        Assert.Equal("1000 1001 400", Stat("/run/secrets/owned"));
        Assert.Equal("0 1002 440", Stat("/run/secrets/group-only"));
        Assert.Equal("0 0 444", Stat("/etc/plain.conf"));
        Assert.Equal("token\n", _engine.Cli("exec", $"{_app}-web-1", "cat", "/run/secrets/owned"));
        Assert.False((await _agent.ReconcileAsync(_app))!.HasChanges);
    }

    private void Drain()
    {
        while (_agent.Outbox.Reader.TryRead(out _))
        {
        }
    }

    private List<ApplyResult> Results()
    {
        var results = new List<ApplyResult>();
        while (_agent.Outbox.Reader.TryRead(out var message))
        {
            if (message.ApplyResult is { } result)
            {
                results.Add(result);
            }
        }
        return results;
    }

    /// <summary>The app's containers by their Compose container number.</summary>
    private async Task<Dictionary<int, string>> ReplicasAsync() =>
        (await _engine.ManagedContainersAsync(_app)).ToDictionary(c => int.Parse(c.Labels["com.docker.compose.container-number"], System.Globalization.CultureInfo.InvariantCulture), c => c.ID)
            .OrderBy(p => p.Key).ToDictionary(p => p.Key, p => p.Value);

    private static FileContent Content(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return new FileContent { Digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)), Content = ByteString.CopyFrom(bytes), Origin = "test" };
    }
}
