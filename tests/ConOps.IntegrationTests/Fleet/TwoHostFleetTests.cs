using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ConOps.Agent.Connection;
using ConOps.Contract;
using ConOps.IntegrationTests.Agent;
using ConOps.IntegrationTests.Support;
using Docker.DotNet.Models;
using Grpc.Core;
using Xunit.Abstractions;

namespace ConOps.IntegrationTests.Fleet;

/// <summary>
/// Two real engines, two agents as real processes enrolled with join tokens, one console over TLS: hosts
/// stay independent when one goes away, a returning agent converges, and a revoked agent is refused.
/// </summary>
[Collection(RealEngine.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TwoHostFleetTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(45);

    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private readonly DockerEngine _engine1 = new();
    private readonly DockerEngine _engine2 = new(TestEnvironment.Require("CONOPS_TEST_DOCKER2_HOST"));
    private readonly GitRepo _repo = new();
    private readonly List<AgentProcess> _agents = [];
    private ConsoleProcess? _console;

    private string Shared => "fleet-shared-" + _suffix;

    private string Only2 => "fleet-only2-" + _suffix;

    private string Host1 => "h1-" + _suffix;

    private string Host2 => "h2-" + _suffix;

    public async Task InitializeAsync()
    {
        _repo.Commit("apps", ("shared/compose.yaml", Compose("web", "one")), ("only2/compose.yaml", Compose("worker", "only-on-two")));
        _console = await ConsoleProcess.StartAsync(new Dictionary<string, string> { ["ConOps:Console:PollInterval"] = "00:00:01" });
    }

    [Fact]
    public async Task Two_enrolled_hosts_stay_independent_converge_after_an_outage_and_a_revoked_agent_is_refused()
    {
        var console = _console!;

        // Given two hosts created in the console, each with a one-time join command
        var join1 = await CreateHostAsync(Host1);
        var join2 = await CreateHostAsync(Host2);
        Assert.StartsWith("https://", join1.GetProperty("consoleUrl").GetString(), StringComparison.Ordinal);
        var fingerprint = join1.GetProperty("certificateFingerprint").GetString()!;
        Assert.Matches("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", fingerprint);
        var command = join1.GetProperty("command").GetString()!;
        Assert.Contains("ConOps__Agent__JoinToken='cjt_", command, StringComparison.Ordinal);
        Assert.Contains($"ConOps__Agent__CertificateFingerprint='{fingerprint}'", command, StringComparison.Ordinal);
        var again = await console.Http.PostAsJsonAsync("/api/hosts", new { name = Host1 });
        Assert.Equal(HttpStatusCode.Created, again.StatusCode); // not enrolled yet: a fresh token replaces the first
        join1 = await again.Content.ReadFromJsonAsync<JsonElement>();

        // And an agent that presents a made-up token is refused with a clear reason
        var impostor = Track(new AgentProcess(_engine1.Endpoint, new Dictionary<string, string>
        {
            ["ConOps__Agent__ConsoleUrl"] = join1.GetProperty("consoleUrl").GetString()!,
            ["ConOps__Agent__JoinToken"] = "cjt_not-a-real-token",
            ["ConOps__Agent__CertificateFingerprint"] = fingerprint,
        }));
        impostor.Start();
        await Eventually.Until(() => Task.FromResult(impostor.Log), l => l.Contains("The join token is unknown", StringComparison.Ordinal), Converge, "the impostor agent to be refused");
        impostor.Kill();

        // When an agent on each engine joins with the command's settings
        var agent1 = Track(AgentProcess.FromJoin(_engine1.Endpoint, join1));
        var agent2 = Track(AgentProcess.FromJoin(_engine2.Endpoint, join2));
        agent1.Start();
        agent2.Start();

        // Then both hosts are connected and enrolled, the credential sits in a 0600 file, and the console keeps only its hash
        await WaitForHostAsync(Host1, h => h.GetProperty("connected").GetBoolean() && h.GetProperty("enrollment").GetString() == "enrolled");
        await WaitForHostAsync(Host2, h => h.GetProperty("connected").GetBoolean());
        var credentialFile = Path.Combine(agent2.DataDirectory, "credential");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(credentialFile));
        var credential = File.ReadAllLines(credentialFile).Single(l => l.StartsWith("credential=", StringComparison.Ordinal))["credential=".Length..];
        Assert.StartsWith("cac_", credential, StringComparison.Ordinal);
        Assert.DoesNotContain(credential, await ReadSharedAsync(Path.Combine(console.DataDirectory, "conops.db")), StringComparison.Ordinal);

        // And a used join token cannot enroll a second agent
        var replay = Track(AgentProcess.FromJoin(_engine1.Endpoint, join2));
        replay.Start();
        await Eventually.Until(() => Task.FromResult(replay.Log), l => l.Contains("already used", StringComparison.Ordinal), Converge, "a replayed join token to be refused");
        replay.Kill();

        // When one app targets both hosts and a second app only the second host
        await AddAppAsync(Shared, "shared", Host1, Host2);
        await AddAppAsync(Only2, "only2", Host2);

        // Then each host runs what it should, each on its own engine
        await WaitForServiceAsync(Host1, Shared, "web", "synced");
        await WaitForServiceAsync(Host2, Shared, "web", "synced");
        await WaitForServiceAsync(Host2, Only2, "worker", "synced");
        Assert.Single(await _engine1.ManagedContainersAsync(Shared));
        Assert.Empty(await _engine1.ManagedContainersAsync(Only2));
        Assert.Single(await _engine2.ManagedContainersAsync(Only2));

        // When the second host's agent hangs (its connection stays open, nothing arrives any more)
        agent2.Freeze();
        var frozenAt = System.Diagnostics.Stopwatch.StartNew();

        // Then that host is shown offline within the agent timeout, with its last known services kept
        var offline = await WaitForHostAsync(Host2, h => !h.GetProperty("connected").GetBoolean(), TimeSpan.FromSeconds(25));
        output.WriteLine($"hung agent shown offline after {frozenAt.Elapsed.TotalSeconds:0.0} s");
        Assert.InRange(frozenAt.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(20));
        Assert.Equal(JsonValueKind.String, offline.GetProperty("offlineSince").ValueKind);
        var kept = await console.ServiceAsync(Only2, "worker", Host2);
        Assert.NotNull(kept);
        Assert.False(kept!.Value.GetProperty("hostConnected").GetBoolean());

        // And the first host keeps following Git while the second is away
        _repo.Commit("greet twice", ("shared/compose.yaml", Compose("web", "two")));
        await Eventually.Until(() => EnvAsync(_engine1, Shared), env => env.Contains("GREETING=two"), Converge, $"{Host1} to run GREETING=two");
        await WaitForServiceAsync(Host1, Shared, "web", "synced");
        Assert.True((await GetHostAsync(Host1)).GetProperty("connected").GetBoolean());

        // When the hung agent comes back to life
        agent2.Thaw();

        // Then it reconnects and converges to the new desired state
        await WaitForHostAsync(Host2, h => h.GetProperty("connected").GetBoolean());
        await Eventually.Until(() => EnvAsync(_engine2, Shared), env => env.Contains("GREETING=two"), Converge, $"{Host2} to converge to GREETING=two");
        await WaitForServiceAsync(Host2, Shared, "web", "synced");

        // When the operator rotates the first host's credential
        var oldCredential = Credential(agent1);
        var sessionsBefore = Sessions(agent1);
        Assert.Equal(HttpStatusCode.Accepted, (await console.Http.PostAsync($"/api/hosts/{Host1}/rotate", null)).StatusCode);

        // Then the agent stores the new one and reconnects with it, and the old one is refused from then on
        await Eventually.Until(() => Task.FromResult(Credential(agent1)), c => c != oldCredential, Converge, "the agent to store the rotated credential");
        await Eventually.Until(() => Task.FromResult(Sessions(agent1)), n => n > sessionsBefore, Converge, "the agent to reconnect with the rotated credential");
        await WaitForHostAsync(Host1, h => h.GetProperty("connected").GetBoolean());
        var stale = await Assert.ThrowsAsync<RpcException>(() => ConnectAsync(join1, oldCredential));
        Assert.Equal(StatusCode.PermissionDenied, stale.StatusCode);
        Assert.Contains("superseded", stale.Status.Detail, StringComparison.Ordinal);

        // When the operator revokes the second host
        var revoked = await console.Http.PostAsync($"/api/hosts/{Host2}/revoke", null);
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);

        // Then its agent is cut off and refused with the reason, while its containers keep running
        await WaitForHostAsync(Host2, h => !h.GetProperty("connected").GetBoolean() && h.GetProperty("enrollment").GetString() == "revoked");
        await Eventually.Until(() => Task.FromResult(agent2.Log), l => l.Contains("was revoked", StringComparison.Ordinal), Converge, "the revoked agent to log the refusal");
        Assert.True((await GetHostAsync(Host1)).GetProperty("connected").GetBoolean());
        Assert.Equal(HttpStatusCode.Conflict, (await console.Http.PostAsync($"/api/hosts/{Host2}/rotate", null)).StatusCode);

        // And, cut off from the console and even after its own restart, the agent keeps enforcing its last desired state
        agent2.Kill();
        agent2.Start();
        var worker = (await _engine2.ManagedContainersAsync(Only2)).Single();
        await _engine2.Client.Containers.StopContainerAsync(worker.ID, new ContainerStopParameters { WaitBeforeKillSeconds = 1 });
        var healed = await Eventually.Until(() => _engine2.Client.Containers.InspectContainerAsync(worker.ID), c => c.State.Running, Converge, "the disconnected agent to start the stopped worker again");
        Assert.Contains("GREETING=only-on-two", healed.Config.Env);
        Assert.False((await GetHostAsync(Host2)).GetProperty("connected").GetBoolean());
    }

    /// <summary>Opens a session with the given credential as an agent would, and waits for the console's verdict.</summary>
    private static async Task ConnectAsync(JsonElement join, string credential)
    {
        using var channel = ConsoleChannel.Open(join.GetProperty("consoleUrl").GetString()!, join.GetProperty("certificateFingerprint").GetString()!, allowPlaintext: false);
        using var call = new AgentHub.AgentHubClient(channel.Channel).Connect(new Grpc.Core.Metadata { { "authorization", "Bearer " + credential } });
        try
        {
            await call.RequestStream.WriteAsync(new AgentMessage { Hello = new Hello { HostName = "impostor" } });
        }
        catch (RpcException)
        {
            // The console refuses on the credential alone and may end the call before the hello is written;
            // the refusal's own status arrives with the response below.
        }
        await call.ResponseHeadersAsync;
        // A refused session ends with the refusal's status; an accepted one would deliver desired state here.
        await call.ResponseStream.MoveNext(CancellationToken.None);
    }

    private static int Sessions(AgentProcess agent) =>
        agent.Log.Split('\n').Count(l => l.Contains("Connected to console", StringComparison.Ordinal));

    private static string Credential(AgentProcess agent) =>
        File.ReadAllLines(Path.Combine(agent.DataDirectory, "credential")).Single(l => l.StartsWith("credential=", StringComparison.Ordinal))["credential=".Length..];

    public async Task DisposeAsync()
    {
        if (_console is not null)
        {
            output.WriteLine("---- console ----\n" + _console.Log);
            await _console.DisposeAsync();
        }
        foreach (var agent in _agents)
        {
            output.WriteLine("---- agent ----\n" + agent.Log);
            await agent.DisposeAsync();
        }
        foreach (var engine in new[] { _engine1, _engine2 })
        {
            await engine.RemoveAppAsync(Shared, volumes: true);
            await engine.RemoveAppAsync(Only2, volumes: true);
            engine.Dispose();
        }
        _repo.Dispose();
    }

    private static string Compose(string service, string greeting) => $"""
        services:
          {service}:
            image: conops-test/busybox:1
            command: ["sleep", "3600"]
            environment:
              GREETING: {greeting}
        """;

    private AgentProcess Track(AgentProcess agent)
    {
        _agents.Add(agent);
        return agent;
    }

    private async Task<JsonElement> CreateHostAsync(string name)
    {
        var response = await _console!.Http.PostAsJsonAsync("/api/hosts", new { name });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task AddAppAsync(string name, string path, params string[] hosts)
    {
        var response = await _console!.Http.PostAsJsonAsync("/api/apps", new { name, repoUrl = _repo.Path, branch = "main", path, hosts });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private async Task<JsonElement> GetHostAsync(string name) =>
        await _console!.GetJsonAsync($"/api/hosts/{name}");

    private Task<JsonElement> WaitForHostAsync(string name, Func<JsonElement, bool> done, TimeSpan? timeout = null) =>
        Eventually.Until(() => GetHostAsync(name), done, timeout ?? Converge, $"host {name} to change");

    private async Task WaitForServiceAsync(string host, string app, string service, string status) =>
        await Eventually.Until(() => _console!.ServiceAsync(app, service, host), s => s is { } row && row.GetProperty("status").GetString() == status, Converge, $"{host}/{app}/{service} to be {status}");

    private static async Task<IList<string>> EnvAsync(DockerEngine engine, string app) =>
        (await engine.RunningContainerAsync(app))?.Config.Env ?? [];

    /// <summary>Reads a file another process has open (the console's SQLite database and its WAL).</summary>
    private static async Task<string> ReadSharedAsync(string path)
    {
        var text = "";
        foreach (var file in new[] { path, path + "-wal" }.Where(File.Exists))
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream, System.Text.Encoding.Latin1);
            text += await reader.ReadToEndAsync();
        }
        return text;
    }
}
