using System.Collections.Concurrent;
using System.Diagnostics;
using ConOps.Contract;
using ConOps.IntegrationTests.Support;
using Google.Protobuf;
using static ConOps.IntegrationTests.Agent.DesiredApps;

namespace ConOps.IntegrationTests.Agent;

/// <summary>
/// The agent as a real process (the build output conops-agent.dll), with no console reachable: it enforces the
/// desired state it keeps on disk, and a SIGKILL in the middle of an apply leaves nothing a restart cannot fix.
/// </summary>
[Collection(RealEngine.Name)]
public sealed class AgentProcessTests : IAsyncLifetime
{
    private const int Services = 8;
    private readonly DockerEngine _engine = new();
    private readonly string _app = UniqueName("kill");
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "conops-agent-proc-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly ConcurrentQueue<string> _log = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _engine.RemoveAppAsync(_app, volumes: true);
        _engine.Dispose();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Given_an_agent_killed_mid_create_and_mid_replace_When_it_starts_again_Then_it_converges_with_no_duplicates_or_leftovers()
    {
        // Given: desired state on disk, as the console left it; the console itself is away.
        var v1 = App(_app, services: [.. Enumerable.Range(1, Services).Select(i => Web($"s{i}"))]);
        WriteDesiredState(1, v1);

        // When: killed while creating.
        using (var agent = StartAgent())
        {
            await Eventually.Until(() => _engine.ManagedContainersAsync(_app), c => c.Count >= 2, TimeSpan.FromSeconds(60), "the first containers");
            agent.Kill();
            agent.WaitForExit();
        }
        Assert.True((await _engine.ManagedContainersAsync(_app)).Count(c => c.State == "running") < Services, "the kill came too late to interrupt the create");
        using (var agent = StartAgent())
        {
            await AssertConvergedAsync(v1);

            // When: a new version of every service, and killed while replacing.
            var v2 = v1.Clone();
            v2.Services.Clear();
            v2.Services.AddRange(v1.Services.Select(s =>
            {
                var spec = s.Spec.Clone();
                spec.Environment.Add("VERSION", "2");
                return Desired(spec);
            }));
            agent.Kill();
            agent.WaitForExit();
            WriteDesiredState(2, v2);
            using var again = StartAgent();
            await Eventually.Until(() => _engine.ManagedContainersAsync(_app), c => c.Any(x => x.Names[0].EndsWith("-next", StringComparison.Ordinal) && x.State == "running"),
                TimeSpan.FromSeconds(60), "a replacement in its stabilization window");
            again.Kill();
            again.WaitForExit();

            // Then: a restarted agent finishes the job.
            using var last = StartAgent();
            await AssertConvergedAsync(v2);
            last.Kill();
        }
    }

    private async Task AssertConvergedAsync(AppDesiredState desired)
    {
        var hashes = desired.Services.ToDictionary(s => s.Spec.Name, s => s.ConfigHash);
        try
        {
            var containers = await Eventually.Until(() => _engine.ManagedContainersAsync(_app),
                c => c.Count == Services && c.All(x => x.State == "running" && hashes[x.Labels["conops.service"]] == x.Labels["conops.config-hash"]
                    && x.Names[0] == $"/{_app}-{x.Labels["conops.service"]}-1"),
                TimeSpan.FromSeconds(90), "every service running its desired hash under its own name");
            Assert.Equal(Services, containers.Select(c => c.Labels["conops.service"]).Distinct().Count());
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(ex.Message + "\nAgent log:\n" + string.Join('\n', _log), ex);
        }
    }

    private void WriteDesiredState(long generation, AppDesiredState app)
    {
        Directory.CreateDirectory(_dataDirectory);
        var state = new DesiredState { Generation = generation, Apps = { app } };
        File.WriteAllBytes(Path.Combine(_dataDirectory, "desired-state.pb"), state.ToByteArray());
    }

    private Process StartAgent()
    {
        var dll = Path.Combine(TestEnvironment.RepoRoot, "src", "Agent", "bin", BuildConfiguration, "net10.0", "conops-agent.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"The agent is not built at {dll}; run `dotnet build` first.");
        }
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        start.Environment["ConOps__Agent__DataDirectory"] = _dataDirectory;
        start.Environment["ConOps__Agent__DockerEndpoint"] = TestEnvironment.DockerHost;
        start.Environment["ConOps__Agent__ConsoleUrl"] = $"http://127.0.0.1:{ConsoleProcess.FreePort()}";
        start.Environment["ConOps__Agent__HostName"] = "kill-test";
        start.Environment["ConOps__Agent__StopTimeout"] = "00:00:01";
        start.Environment["ConOps__Agent__StabilizationWindow"] = "00:00:03";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { _log.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _log.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

#if DEBUG
    private const string BuildConfiguration = "Debug";
#else
    private const string BuildConfiguration = "Release";
#endif
}
