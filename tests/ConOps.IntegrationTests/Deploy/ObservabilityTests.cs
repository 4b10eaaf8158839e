using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ConOps.IntegrationTests.Support;
using Xunit.Abstractions;

namespace ConOps.IntegrationTests.Deploy;

/// <summary>Health endpoints and Prometheus metrics of a console process running an app with its local agent.</summary>
[Collection(RealEngine.Name)]
public sealed class ObservabilityTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly DockerEngine _docker = new();
    private readonly GitRepo _repo = new();
    private readonly string _app = "obs-" + Guid.NewGuid().ToString("N")[..6];
    private ConsoleProcess? _console;

    public async Task InitializeAsync()
    {
        _repo.Commit("web", ("compose.yaml", "services:\n  web:\n    image: conops-test/web:1\n    command: [\"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n"));
        _console = await ConsoleProcess.StartAsync(new Dictionary<string, string>
        {
            ["ConOps:Console:PollInterval"] = "00:00:01",
            ["ConOps:LocalAgent:Enabled"] = "true",
            ["Logging:Console:FormatterName"] = "json",
        });
    }

    [Fact]
    public async Task The_console_reports_readiness_per_check_and_exports_the_sync_pipeline_metrics_in_json_logs()
    {
        var console = _console!;

        // Given an app synced through the local agent
        var created = await console.Http.PostAsJsonAsync("/api/apps", new { name = _app, repoUrl = _repo.Path, branch = "main", path = ".", hosts = new[] { "local" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await Eventually.Until(() => console.ServiceAsync(_app, "web"), s => s?.GetProperty("status").GetString() == "synced", TimeSpan.FromSeconds(45), "the app to be synced");

        // Then it is alive and ready, with each check named
        Assert.Equal(HttpStatusCode.OK, (await console.Http.GetAsync("/healthz")).StatusCode);
        var ready = await console.Http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var checks = (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("checks");
        Assert.Equal("Healthy", checks.GetProperty("database").GetProperty("status").GetString());
        Assert.Equal("Healthy", checks.GetProperty("agents-listener").GetProperty("status").GetString());

        // And Prometheus finds the pipeline's metrics, the in-process agent's included
        var metrics = await Eventually.Until(() => console.Http.GetStringAsync("/metrics"), m => m.Contains("conops_agent_reconcile_duration", StringComparison.Ordinal), TimeSpan.FromSeconds(15), "the reconcile histogram");
        Assert.Contains("conops_sync_outcomes_total{otel_scope_name=\"ConOps.Console\",outcome=\"published\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("conops_git_poll_duration_seconds_count", metrics, StringComparison.Ordinal);
        Assert.Contains("conops_agents_connected{otel_scope_name=\"ConOps.Console\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("conops_agent_console_connected", metrics, StringComparison.Ordinal);
        Assert.Contains("conops_release_outcomes_total", metrics, StringComparison.Ordinal);
        Assert.Contains("service_name=\"conops-console\"", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("unknown_service", metrics, StringComparison.Ordinal);

        // And with the JSON option every log line is one JSON object
        var lines = console.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(line).RootElement.ValueKind));
        Assert.Contains(lines, l => l.Contains("\"Category\":\"ConOps.Console.Sync.AppSyncer\"", StringComparison.Ordinal));
    }

    public async Task DisposeAsync()
    {
        if (_console is not null)
        {
            output.WriteLine(_console.Log);
            await _console.DisposeAsync();
        }
        await AppResources.RemoveAsync(_docker, _app);
        _docker.Dispose();
        _repo.Dispose();
    }
}
