using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ConOps.IntegrationTests.Agent;
using ConOps.IntegrationTests.Support;
using Xunit.Abstractions;

namespace ConOps.IntegrationTests.Fleet;

/// <summary>Live logs from a real container through the agent (loopback TLS, all-in-one) to API clients.</summary>
[Collection(RealEngine.Name)]
public sealed class LiveLogTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Lines = 10_000;

    private readonly string _app = "fleet-logs-" + Guid.NewGuid().ToString("N")[..6];
    private readonly DockerEngine _engine = new();
    private readonly GitRepo _repo = new();
    private ConsoleProcess? _console;

    public async Task InitializeAsync()
    {
        _repo.Commit("talker", ("compose.yaml", $$"""
            services:
              talker:
                image: conops-test/busybox:1
                command: ["sh", "-c", "seq 1 {{Lines}}; exec sleep 3600"]
              mixed:
                image: conops-test/busybox:1
                command: ["sh", "-c", "echo to-stdout; echo to-stderr >&2; exec sleep 3600"]
              terminal:
                image: conops-test/busybox:1
                tty: true
                command: ["sh", "-c", "echo on-a-terminal; echo also-stderr >&2; exec sleep 3600"]
            """));
        _console = await ConsoleProcess.StartAsync(new Dictionary<string, string>
        {
            ["ConOps:Console:PollInterval"] = "00:00:01",
            ["ConOps:LocalAgent:Enabled"] = "true",
            ["ConOps:LocalAgent:StopTimeout"] = "00:00:01",
        });
    }

    [Fact]
    public async Task A_client_receives_all_10000_lines_in_order_and_a_late_viewer_gets_its_tail_from_the_shared_stream()
    {
        var console = _console!;
        Assert.Equal(HttpStatusCode.Created, (await console.Http.PostAsJsonAsync("/api/apps", new { name = _app, repoUrl = _repo.Path, branch = "main", path = ".", hosts = new[] { "local" } })).StatusCode);
        await Eventually.Until(() => console.ServiceAsync(_app, "talker"), s => s is { } row && row.GetProperty("status").GetString() == "synced", TimeSpan.FromSeconds(45), "talker to run");
        using var http = new HttpClient { BaseAddress = console.Http.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = console.Http.DefaultRequestHeaders.Authorization;

        // When a client follows the whole log as text
        using var follow = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var response = await http.GetAsync($"/api/logs/local/{_app}/talker?tail=all&follow=true", HttpCompletionOption.ResponseHeadersRead, follow.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(follow.Token));

        // Then it receives every line, in order (the container may still be writing when it starts)
        await Eventually.Until(async () => (await _engine.ManagedContainersAsync(_app)).Count(c => c.Labels["conops.service"] == "talker"), n => n == 1, TimeSpan.FromSeconds(10), "one talker container");
        for (var expected = 1; expected <= Lines; expected++)
        {
            var line = await reader.ReadLineAsync(follow.Token);
            Assert.Equal(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), line);
        }

        // When a second viewer joins the same container, as NDJSON, asking for the last 5 lines
        using var late = await http.GetAsync($"/api/logs/local/{_app}/talker?tail=5&follow=true&format=ndjson", HttpCompletionOption.ResponseHeadersRead, follow.Token);
        Assert.Equal("application/x-ndjson", late.Content.Headers.ContentType?.MediaType);
        using var lateReader = new StreamReader(await late.Content.ReadAsStreamAsync(follow.Token));

        // Then it gets exactly those lines, with their line numbers, timestamps and stream
        for (var expected = Lines - 4; expected <= Lines; expected++)
        {
            var record = JsonDocument.Parse((await lateReader.ReadLineAsync(follow.Token))!).RootElement;
            Assert.Equal(expected, record.GetProperty("line").GetInt64());
            Assert.Equal(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), record.GetProperty("text").GetString());
            Assert.Equal("stdout", record.GetProperty("stream").GetString());
            Assert.True(record.GetProperty("time").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
        }

        // And a one-off request without follow returns the tail and ends
        var tail = await http.GetStringAsync($"/api/logs/local/{_app}/talker?tail=3", follow.Token);
        Assert.Equal($"{Lines - 2}\n{Lines - 1}\n{Lines}\n", tail);

        // And bad requests get a clear answer
        var badTail = await http.GetAsync($"/api/logs/local/{_app}/talker?tail=lots", follow.Token);
        Assert.Equal(HttpStatusCode.BadRequest, badTail.StatusCode);
        var noHost = await http.GetAsync($"/api/logs/nowhere/{_app}/talker", follow.Token);
        Assert.Equal(HttpStatusCode.Conflict, noHost.StatusCode);
        Assert.Contains("no connected agent", await noHost.Content.ReadAsStringAsync(follow.Token), StringComparison.Ordinal);
        var noService = await http.GetStringAsync($"/api/logs/local/{_app}/nothing?tail=3", follow.Token);
        Assert.Contains("[conops] log stream ended: No container for service nothing", noService, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stdout_and_stderr_are_told_apart_and_a_container_with_a_terminal_is_read_as_one_stream()
    {
        var console = _console!;
        Assert.Equal(HttpStatusCode.Created, (await console.Http.PostAsJsonAsync("/api/apps", new { name = _app, repoUrl = _repo.Path, branch = "main", path = ".", hosts = new[] { "local" } })).StatusCode);
        foreach (var service in new[] { "mixed", "terminal" })
        {
            await Eventually.Until(() => console.ServiceAsync(_app, service), s => s is { } row && row.GetProperty("status").GetString() == "synced", TimeSpan.FromSeconds(45), $"{service} to run");
        }

        // When the framed output of a container without a terminal is read
        var mixed = await Eventually.Until(
            () => console.Http.GetStringAsync($"/api/logs/local/{_app}/mixed?tail=all&format=ndjson"),
            text => text.Contains("to-stderr", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20),
            "both lines of mixed");
        var records = mixed.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(r => r.TryGetProperty("text", out _)) // the last record only says the stream ended
            .ToDictionary(r => r.GetProperty("text").GetString()!, r => r.GetProperty("stream").GetString());

        // Then each line keeps the stream it was written to
        Assert.Equal(2, records.Count);
        Assert.Equal("stdout", records["to-stdout"]);
        Assert.Equal("stderr", records["to-stderr"]);

        // And a terminal's single raw stream arrives as text (no frame headers read into it, no carriage returns)
        var terminal = await Eventually.Until(
            () => console.Http.GetStringAsync($"/api/logs/local/{_app}/terminal?tail=all"),
            text => text.Contains("also-stderr", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20),
            "the terminal's lines");
        Assert.Equal("on-a-terminal\nalso-stderr\n", terminal);
    }

    public async Task DisposeAsync()
    {
        if (_console is not null)
        {
            output.WriteLine(_console.Log);
            await _console.DisposeAsync();
        }
        await _engine.RemoveAppAsync(_app, volumes: true);
        _engine.Dispose();
        _repo.Dispose();
    }
}
