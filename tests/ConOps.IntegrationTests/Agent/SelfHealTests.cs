using System.Diagnostics;
using ConOps.Contract;
using ConOps.IntegrationTests.Support;
using static ConOps.IntegrationTests.Agent.DesiredApps;

namespace ConOps.IntegrationTests.Agent;

/// <summary>The running agent heals through engine events in seconds, and calms a crash loop down.</summary>
[Collection(RealEngine.Name)]
public sealed class SelfHealTests : IAsyncLifetime
{
    private readonly DockerEngine _engine = new();
    private readonly string _app = UniqueName("heal");
    private AgentUnderTest _agent = null!;

    public async Task InitializeAsync()
    {
        // A long periodic pass, so only engine events can explain a fast heal.
        _agent = new AgentUnderTest(settings: new Dictionary<string, string?>
        {
            ["ConOps:Agent:ReconcileInterval"] = "00:05:00",
            ["ConOps:Agent:FlapFreeRestarts"] = "2",
            ["ConOps:Agent:FlapBaseDelay"] = "00:00:20",
            ["Logging:LogLevel:ConOps.Agent"] = "Debug",
        });
        await _agent.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        await _engine.RemoveAppAsync(_app, volumes: true);
        _engine.Dispose();
    }

    [Fact]
    public async Task Given_a_converged_app_When_its_container_is_stopped_or_removed_by_hand_Then_it_runs_again_within_3_seconds()
    {
        // Given
        _agent.Deploy(App(_app, services: [Web("web"), Web("api")]));
        var first = await Eventually.Until(() => _engine.InspectAsync($"{_app}-web-1"), c => c.State.Running, TimeSpan.FromSeconds(30), "web running");

        // When: stopped by hand.
        _engine.Cli("stop", "-t", "1", $"{_app}-web-1");
        var stopped = Stopwatch.StartNew();
        await Eventually.Until(() => _engine.InspectAsync($"{_app}-web-1"), c => c.State.Running, TimeSpan.FromSeconds(10), "web started again");
        var afterStop = stopped.Elapsed;

        // When: removed by hand.
        _engine.Cli("rm", "-f", $"{_app}-api-1");
        var removed = Stopwatch.StartNew();
        await WithLogs(() => Eventually.Until(() => _engine.InspectAsync($"{_app}-api-1"), c => c.State.Running, TimeSpan.FromSeconds(10), "api recreated"));
        var afterRemove = removed.Elapsed;

        // Then
        Assert.True(afterStop < TimeSpan.FromSeconds(3), $"stop healed after {afterStop.TotalMilliseconds:0} ms");
        Assert.True(afterRemove < TimeSpan.FromSeconds(3), $"rm -f healed after {afterRemove.TotalMilliseconds:0} ms");
        Assert.Equal(first.ID, (await _engine.InspectAsync($"{_app}-web-1")).ID);
        Assert.Equal(2, (await _engine.ManagedContainersAsync(_app)).Count);
        var web = await Eventually.Until(() => Task.FromResult(_agent.Status(_app, "web")), s => s?.Sync == SyncStatus.Synced, TimeSpan.FromSeconds(5), "web synced");
        Assert.Equal(1, web!.RestartCount);
    }

    [Fact]
    public async Task Given_a_service_that_keeps_crashing_When_self_heal_restarts_it_Then_it_backs_off_and_reports_a_crash_loop()
    {
        // Given: a service that dies a second after each start.
        var crasher = new ServiceSpec { Name = "crasher", Image = "conops-test/busybox:1", Command = { "sh", "-c", "sleep 1; exit 1" } };
        _agent.Deploy(App(_app, services: [crasher]));

        // When / Then: after the free restarts it is held back and says why.
        var status = await WithLogs(() => Eventually.Until(() => Task.FromResult(_agent.Status(_app, "crasher")),
            s => s?.Reason.StartsWith("crash loop", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(30), "crash loop reported"));
        Assert.Equal(HealthStatus.Degraded, status!.Health);
        Assert.Matches(@"^crash loop, 2 restarts in 5 min; next restart in \d+ s", status.Reason);
        var inspect = await _engine.InspectAsync($"{_app}-crasher-1");
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.False((await _engine.InspectAsync($"{_app}-crasher-1")).State.Running, "restarted during backoff");
        Assert.Equal(inspect.State.StartedAt, (await _engine.InspectAsync($"{_app}-crasher-1")).State.StartedAt);
    }

    private async Task<T> WithLogs<T>(Func<Task<T>> wait)
    {
        try
        {
            return await wait();
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(ex.Message + "\nAgent log:\n" + _agent.Logs, ex);
        }
    }
}
