using ConOps.Contract;
using ConOps.IntegrationTests.Support;
using static ConOps.IntegrationTests.Agent.DesiredApps;

namespace ConOps.IntegrationTests.Agent;

/// <summary>
/// The agent loses its engine (as when the engine restarts: the event stream and every connection drop, calls
/// fail) and gets it back: it resumes the event stream by itself, forgets what it had cached, and reconciles
/// what changed while it could not see. The engines are shared with other tests running at the same time, so
/// the outage is made by a proxy in front of engine 1 rather than by restarting one.
/// </summary>
[Collection(RealEngine.Name)]
public sealed class EngineRestartTests : IAsyncLifetime
{
    private readonly DockerEngine _engine = new();
    private readonly string _app = UniqueName("erst");
    private EngineCallCounter _proxy = null!;
    private AgentUnderTest _agent = null!;

    public async Task InitializeAsync()
    {
        _proxy = new EngineCallCounter(TestEnvironment.DockerHost);
        // A long periodic pass: only the resumed event stream can explain a heal.
        _agent = new AgentUnderTest(_proxy.Endpoint, new Dictionary<string, string?> { ["ConOps:Agent:ReconcileInterval"] = "00:10:00" });
        await _agent.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        await _proxy.DisposeAsync();
        await _engine.RemoveAppAsync(_app, volumes: true);
        _engine.Dispose();
    }

    [Fact]
    public async Task Given_a_converged_app_When_the_engine_goes_away_and_comes_back_Then_the_agent_resumes_events_and_undoes_what_it_missed()
    {
        // Given
        _agent.Deploy(App(_app, services: [Web("stopped"), Web("updated")]));
        await Eventually.Until(() => Task.FromResult(_agent.Statuses.Snapshot().Services.Count(s => s.App == _app && s.Sync == SyncStatus.Synced && s.Health == HealthStatus.Healthy)),
            n => n == 2, TimeSpan.FromSeconds(30), "both services synced");
        var stoppedId = (await _engine.InspectAsync($"{_app}-stopped-1")).ID;
        var updatedId = (await _engine.InspectAsync($"{_app}-updated-1")).ID;

        // When: the agent is cut off; meanwhile one container is stopped and the other changed by hand (its state
        // stays "running", so only a fresh inspect shows the change); then the engine answers again.
        _proxy.CutOff();
        await Task.Delay(TimeSpan.FromSeconds(2));
        _engine.Cli("stop", "-t", "1", $"{_app}-stopped-1");
        _engine.Cli("update", "--memory", "64m", "--memory-swap", "128m", $"{_app}-updated-1");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.NotEqual(HealthStatus.Degraded, _agent.Status(_app, "stopped")!.Health); // it really could not see
        _proxy.Restore();

        // Then: within the event watcher's reconnect backoff, both are healed without the periodic pass.
        var stopped = await WithLogs(() => Eventually.Until(() => _engine.InspectAsync($"{_app}-stopped-1"), c => c.State.Running, TimeSpan.FromSeconds(20), "stopped service running again"));
        Assert.Equal(stoppedId, stopped.ID);
        var updated = await WithLogs(() => Eventually.Until(() => _engine.InspectAsync($"{_app}-updated-1"), c => c.ID != updatedId && c.State.Running, TimeSpan.FromSeconds(20), "changed service recreated"));
        Assert.Equal(0, updated.HostConfig.Memory);
        Assert.Contains("Lost the engine's event stream", _agent.Logs.ToString(), StringComparison.Ordinal);

        // And engine events flow again: a stop now is healed through them.
        _engine.Cli("stop", "-t", "1", $"{_app}-stopped-1");
        await WithLogs(() => Eventually.Until(() => _engine.InspectAsync($"{_app}-stopped-1"), c => c.State.Running, TimeSpan.FromSeconds(5), "stopped service healed by its event"));
    }

    private async Task<T> WithLogs<T>(Func<Task<T>> wait)
    {
        try
        {
            return await wait();
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\nAgent log:\n{string.Join('\n', _agent.Logs.ToString().Split('\n').TakeLast(40))}", ex);
        }
    }
}
