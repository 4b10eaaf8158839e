using ConOps.Console.Compose;
using ConOps.Contract;
using ConOps.IntegrationTests.Support;
using static ConOps.IntegrationTests.Agent.DesiredApps;

namespace ConOps.IntegrationTests.Agent;

/// <summary>
/// Binds written relative to the compose file (<c>./data:/data</c>, <c>./conf:/etc/app</c>) mount the agent's own
/// per-app folder, not the console's checkout: data written there survives recreations and new checkouts, and
/// the repository's files reach the container. The desired state is rendered by the console's real loader.
/// </summary>
[Collection(RealEngine.Name)]
public sealed class ProjectFolderTests : IAsyncLifetime
{
    private readonly DockerEngine _engine = new();
    private readonly string _app = UniqueName("proj");
    private readonly List<string> _checkouts = [];
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
        foreach (var checkout in _checkouts)
        {
            Directory.Delete(checkout, recursive: true);
        }
    }

    [Fact]
    public async Task Given_relative_binds_When_the_service_is_recreated_from_a_new_checkout_Then_its_data_stays_and_repository_files_are_current()
    {
        // Given: a service writing to ./data and reading ./conf (a repository folder) and ./motd.txt (a file).
        const string Compose = """
            services:
              app:
                image: conops-test/web:1
                restart: "no"
                stop_grace_period: 1s
                environment:
                  LEVEL: "{level}"
                volumes:
                  - ./data:/data
                  - ./conf:/etc/app:ro
                  - ./motd.txt:/etc/motd.txt
            """;
        var first = Checkout(Compose.Replace("{level}", "info", StringComparison.Ordinal), ("conf/app.conf", "port=8080\n"), ("conf/sub/extra.conf", "extra=1\n"), ("motd.txt", "hello\n"));
        _agent.Deploy(Render(first));
        await _agent.ReconcileAsync(_app);
        var container = $"{_app}-app-1";
        var before = await _engine.InspectAsync(container);
        _engine.Cli("exec", container, "sh", "-c", "echo kept > /data/kept.txt && echo local >> /etc/motd.txt");
        Assert.Equal("port=8080\n", _engine.Cli("exec", container, "cat", "/etc/app/app.conf"));
        Assert.Equal("extra=1\n", _engine.Cli("exec", container, "cat", "/etc/app/sub/extra.conf"));

        // The mounts come from the agent's folder for the app, never from the console's checkout.
        var project = Path.Combine(_agent.DataDirectory, "apps", _app, "project");
        Assert.Equal(Path.Combine(project, "data"), before.Mounts.Single(m => m.Destination == "/data").Source);
        Assert.Equal(Path.Combine(project, "conf"), before.Mounts.Single(m => m.Destination == "/etc/app").Source);
        Assert.DoesNotContain(before.Mounts, m => m.Source.StartsWith(first, StringComparison.Ordinal));

        // When: a new commit, checked out elsewhere, changes the environment and one repository file.
        var second = Checkout(Compose.Replace("{level}", "debug", StringComparison.Ordinal), ("conf/app.conf", "port=9090\n"), ("conf/sub/extra.conf", "extra=1\n"), ("motd.txt", "hello\n"));
        _agent.Deploy(Render(second));
        await _agent.ReconcileAsync(_app);

        // Then: a new container, the data written at runtime is still there, the changed repository file is
        // current, and the unchanged one keeps what the app wrote into it.
        var after = await _engine.InspectAsync(container);
        Assert.NotEqual(before.ID, after.ID);
        Assert.Contains("LEVEL=debug", after.Config.Env);
        Assert.Equal("kept\n", _engine.Cli("exec", container, "cat", "/data/kept.txt"));
        Assert.Equal("port=9090\n", _engine.Cli("exec", container, "cat", "/etc/app/app.conf"));
        Assert.Equal("hello\nlocal\n", _engine.Cli("exec", container, "cat", "/etc/motd.txt"));
        Assert.Equal(SyncStatus.Synced, _agent.Status(_app, "app")!.Sync);
    }

    [Fact]
    public void Given_the_same_commit_in_two_checkout_folders_When_rendered_Then_services_with_relative_binds_hash_the_same()
    {
        const string Compose = """
            services:
              app:
                image: conops-test/web:1
                volumes:
                  - ./data:/data
                  - ./conf:/etc/app:ro
            """;
        var one = Render(Checkout(Compose, ("conf/app.conf", "x=1\n")));
        var two = Render(Checkout(Compose, ("conf/app.conf", "x=1\n")));

        Assert.Equal(one.Services.Single().ConfigHash, two.Services.Single().ConfigHash);
        Assert.All(one.Services.Single().Spec.Mounts, m => Assert.Equal("", m.Source));
    }

    /// <summary>A repository checkout in a fresh folder, as the console keeps one per sync.</summary>
    private string Checkout(string compose, params (string Path, string Content)[] files)
    {
        var folder = Path.Combine(Path.GetTempPath(), "conops-checkout-" + Guid.NewGuid().ToString("N")[..8]);
        _checkouts.Add(folder);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "compose.yaml"), compose);
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(folder, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }
        return folder;
    }

    /// <summary>The desired state the console sends for a checkout: the loader's services, networks, volumes and files.</summary>
    private AppDesiredState Render(string checkout)
    {
        var project = ComposeLoader.Load(new ComposeLoadRequest(checkout, [], new Dictionary<string, string>(), [], _app) { RootDirectory = checkout });
        var app = new AppDesiredState { App = _app, Revision = "main@sha1:" + new string('c', 40), Policy = new SyncPolicy { SelfHeal = true, Prune = true } };
        app.Services.AddRange(project.Services.Select(s => new DesiredService { Spec = s.Spec, ConfigHash = s.ConfigHash }));
        app.Networks.AddRange(project.Networks);
        app.Volumes.AddRange(project.Volumes);
        app.Files.AddRange(project.Files);
        return app;
    }
}
