using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConOps.Agent.Docker;
using ConOps.Contract;

namespace ConOps.Tests.Agent;

/// <summary>
/// What the agent's engine client writes and reads, from files: the create request of a rich service must be
/// exactly <c>testdata/agent/engine/create-request.json</c> (CONOPS_UPDATE_GOLDEN=1 rewrites it after an
/// intended change), and an inspect and event lines captured from a real engine (Debian docker.io 20.10,
/// API 1.41) must read into the fields the reconciler uses.
/// </summary>
public sealed class EngineClientFormatTests
{
    private static string Folder => Path.Combine(AppContext.BaseDirectory, "testdata", "agent", "engine");

    [Fact]
    public void The_create_request_of_a_rich_service_is_the_golden_json()
    {
        var app = new AppDesiredState { App = "shop", Revision = "main@sha1:" + new string('a', 40) };
        app.Networks.Add(new NetworkSpec { Name = "back", EngineName = "shop_back" });
        var spec = new ServiceSpec
        {
            Name = "web",
            Image = "registry.local/web:1",
            ImageDigest = "sha256:" + new string('d', 64),
            Restart = "on-failure:3",
            User = "1000:1000",
            StopSignal = "SIGTERM",
            StopGracePeriod = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromMilliseconds(1500)),
            Healthcheck = new Healthcheck
            {
                Test = { "CMD", "wget", "-q", "-O-", "http://localhost:8080/" },
                Interval = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(5)),
                Timeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(2)),
                Retries = 3,
            },
            Resources = new Resources { Cpus = 0.5, MemoryBytes = 64 * 1024 * 1024, PidsLimit = 100 },
            ReadOnly = true,
        };
        spec.Command.Add(["httpd", "-f"]);
        spec.Environment.Add("MODE", "prod");
        spec.Labels.Add("team", "infra");
        spec.Ports.Add(new PortBinding { Target = 8080, Published = 18080, HostIp = "127.0.0.1", Protocol = "tcp" });
        spec.Expose.Add("9090");
        spec.Mounts.Add(new Mount { Type = "volume", Source = "shop_data", Target = "/data" });
        spec.Mounts.Add(new Mount { Type = "tmpfs", Target = "/run", TmpfsSizeBytes = 1024 * 1024, TmpfsMode = 1777 });
        spec.Mounts.Add(new Mount { Type = "bind", Source = "/srv/logs", Target = "/logs", CreateHostPath = true, ReadOnly = true });
        spec.Ulimits.Add("nofile", new Ulimit { Soft = 1024, Hard = 2048 });
        spec.Networks.Add(new NetworkAttachment { Name = "back", Aliases = { "api" }, Ipv4Address = "172.30.0.10" });
        spec.Networks.Add(new NetworkAttachment { Name = "default" });
        spec.Logging = new Logging { Driver = "json-file", Options = { ["max-size"] = "10m" } };
        var desired = new DesiredService { Spec = spec, ConfigHash = "v1:sha256:" + new string('0', 64) };

        var request = ContainerDefinition.For(app, desired, "shop-web-1", 1, (_, _, _, _) => "/unused", "/srv/conops/apps/shop/project");
        var actual = JsonNode.Parse(JsonSerializer.Serialize(request, EngineJson.Default.ContainerCreateRequest))!
            .ToJsonString(new JsonSerializerOptions { WriteIndented = true });

        if (Environment.GetEnvironmentVariable("CONOPS_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(Path.Combine(ReconcilePlanGoldenTests.FindRepoRoot(), "tests", "ConOps.Tests", "testdata", "agent", "engine", "create-request.json"), actual + "\n");
        }
        Assert.Equal(File.ReadAllText(Path.Combine(Folder, "create-request.json")).TrimEnd(), actual);
    }

    [Fact]
    public void A_real_inspect_reads_into_the_fields_the_reconciler_uses()
    {
        var inspect = JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(Folder, "container-inspect.json")), EngineJson.Default.ContainerInspectResponse)!;

        Assert.StartsWith("9b1fcba24452", inspect.Id, StringComparison.Ordinal);
        Assert.Equal("/conops-golden", inspect.Name);
        Assert.StartsWith("sha256:", inspect.Image, StringComparison.Ordinal);
        Assert.Equal("running", inspect.State!.Status);
        Assert.True(inspect.State.Running);
        Assert.Equal("healthy", inspect.State.Health!.Status);
        Assert.NotEmpty(inspect.State.Health.Log!);
        Assert.StartsWith("2026-", inspect.State.StartedAt, StringComparison.Ordinal);
        Assert.Equal("conops-test/web:1", inspect.Config!.Image);
        Assert.Contains("MODE=prod", inspect.Config.Env!);
        Assert.Equal("golden", inspect.Config.Labels!["conops.app"]);
        Assert.Equal(7, inspect.Config.StopTimeout);
        Assert.Equal(["CMD-SHELL", "true"], inspect.Config.Healthcheck!.Test!);
        Assert.Equal(5_000_000_000, inspect.Config.Healthcheck.Interval);
        Assert.Equal("on-failure", inspect.HostConfig!.RestartPolicy!.Name);
        Assert.Equal(3, inspect.HostConfig.RestartPolicy.MaximumRetryCount);
        Assert.Equal(64 * 1024 * 1024, inspect.HostConfig.Memory);
        Assert.Equal(500_000_000, inspect.HostConfig.NanoCpus);
        Assert.Equal("18999", inspect.HostConfig.PortBindings!["8080/tcp"].Single().HostPort);
        Assert.Equal("127.0.0.1", inspect.HostConfig.PortBindings["8080/tcp"].Single().HostIp);
        Assert.Equal("1m", inspect.HostConfig.Tmpfs!["/run"].Replace("size=", "", StringComparison.Ordinal));
        var data = inspect.Mounts!.Single(m => m.Destination == "/data");
        Assert.Equal(("volume", "conops-golden-data", true), (data.Type, data.Name, data.RW));
        Assert.Equal(["conops-golden-net"], inspect.NetworkSettings!.Networks!.Keys);
    }

    [Fact]
    public void Real_event_lines_read_into_action_container_and_labels()
    {
        var events = File.ReadAllLines(Path.Combine(Folder, "events.jsonl"))
            .Select(line => JsonSerializer.Deserialize(line, EngineJson.Default.EventMessage)!)
            .ToList();

        Assert.Equal(["create", "health_status: healthy", "die"], events.Select(e => e.Action));
        Assert.All(events, e => Assert.Equal("container", e.Type));
        Assert.StartsWith("9b1fcba24452", events[0].Actor!.Id, StringComparison.Ordinal);
        Assert.Equal("golden", events[0].Actor!.Attributes!["conops.app"]);
    }

    [Fact]
    public async Task Framed_log_output_is_split_into_stdout_and_stderr_even_when_read_in_small_pieces()
    {
        var framed = new MemoryStream([.. Frame(1, "hello\n"), .. Frame(2, "oops: disk full\n"), .. Frame(1, "bye\n")]);
        await using var logs = new ContainerLogStream(new HttpResponseMessage(), framed, multiplexed: true);

        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var buffer = new byte[4];
        while (await logs.ReadAsync(buffer, CancellationToken.None) is var (count, isError) && count > 0)
        {
            (isError ? stderr : stdout).Append(Encoding.UTF8.GetString(buffer, 0, count));
        }

        Assert.Equal("hello\nbye\n", stdout.ToString());
        Assert.Equal("oops: disk full\n", stderr.ToString());
    }

    [Fact]
    public async Task The_output_of_a_container_with_a_terminal_is_read_as_it_comes()
    {
        var raw = new MemoryStream(Encoding.UTF8.GetBytes("\u0001 not a header\n"));
        await using var logs = new ContainerLogStream(new HttpResponseMessage(), raw, multiplexed: false);

        var buffer = new byte[64];
        var (count, isError) = await logs.ReadAsync(buffer, CancellationToken.None);

        Assert.Equal("\u0001 not a header\n", Encoding.UTF8.GetString(buffer, 0, count));
        Assert.False(isError);
    }

    [Fact]
    public async Task A_log_stream_cut_inside_a_frame_header_is_an_error_not_a_silent_end()
    {
        var cut = new MemoryStream([.. Frame(1, "ok\n"), 2, 0, 0]);
        await using var logs = new ContainerLogStream(new HttpResponseMessage(), cut, multiplexed: true);
        var buffer = new byte[64];

        Assert.Equal(3, (await logs.ReadAsync(buffer, CancellationToken.None)).Count);
        await Assert.ThrowsAsync<EndOfStreamException>(() => logs.ReadAsync(buffer, CancellationToken.None));
    }

    [Theory]
    [InlineData("ftp://engine:2375")]
    [InlineData("npipe:////./pipe/docker_engine")]
    public void An_endpoint_the_agent_cannot_dial_is_refused_with_the_forms_it_can(string endpoint)
    {
        var error = Assert.Throws<ArgumentException>(() => new EngineClient(endpoint));
        Assert.Contains("unix:///", error.Message, StringComparison.Ordinal);
    }

    private static byte[] Frame(byte stream, string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        var frame = new byte[8 + payload.Length];
        frame[0] = stream;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)payload.Length);
        payload.CopyTo(frame, 8);
        return frame;
    }
}
