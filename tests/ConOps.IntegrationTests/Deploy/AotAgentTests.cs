using System.Diagnostics;
using ConOps.Console.Compose;
using ConOps.Contract;
using Google.Protobuf;

namespace ConOps.IntegrationTests.Deploy;

/// <summary>
/// The Native AOT agent binary computes the same config hashes as the console. The hash walks protobuf
/// descriptors by reflection, which trimming could break; a mismatch would recreate every container.
/// </summary>
[Collection(DeployCollection.Name)]
public sealed class AotAgentTests
{

    [Fact]
    public async Task The_published_agent_computes_the_same_config_hash_as_the_console()
    {
        // Given services that use every kind of field: maps (of scalars and of messages), lists, nested
        // messages, well-known types, uint/int64 numbers and an explicit-presence bool set to its default
        var web = new ServiceSpec
        {
            Name = "web",
            Image = "registry.example:5000/team/web:1.2",
            ImageDigest = "sha256:" + new string('a', 64),
            Restart = "unless-stopped",
            User = "1000:1000",
            ReadOnly = true,
            Init = false,
            ShmSizeBytes = 64L * 1024 * 1024 * 1024,
            Build = new BuildSpec { Context = ".", Args = { ["VERSION"] = "1.2", ["EMPTY"] = "" } },
            Healthcheck = new Healthcheck { Test = { "CMD", "wget", "-q", "http://127.0.0.1:8080/" }, Interval = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(10)) },
            StopGracePeriod = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromMilliseconds(1500)),
            Command = { "httpd", "-f", "-p", "8080" },
            Environment = { ["GREETING"] = "bonjour", ["UNICODE"] = "é✓", ["EMPTY"] = "" },
            Labels = { ["example.team"] = "ops" },
            Ports = { new PortBinding { Target = 8080, Published = 8080, HostIp = "127.0.0.1", Protocol = "tcp" }, new PortBinding { Target = 9090, Protocol = "udp" } },
            Mounts = { new Mount { Type = "volume", Source = "data", Target = "/data" }, new Mount { Type = "bind", Source = "./config", Target = "/etc/web", ReadOnly = true, TmpfsMode = 493 /* 0755 */ } },
            Networks = { new NetworkAttachment { Name = "front", Aliases = { "web", "www" }, Priority = -1 } },
            DependsOn = { new Dependency { Service = "db", Condition = "service_healthy", Required = true } },
            Ulimits = { ["nofile"] = new Ulimit { Soft = 1024, Hard = 4096 } },
            CapDrop = { "ALL" },
        };
        var db = new ServiceSpec { Name = "db", Image = "postgres:16", NetworkMode = "bridge", Environment = { ["POSTGRES_DB"] = "app" } };
        var services = new[] { web, db }.Select(ComposeService.From).ToList();
        var state = new DesiredState { Generation = 1 };
        var app = new AppDesiredState { App = "aot", Revision = "main@sha1:0" };
        app.Services.AddRange(services.Select(s => new DesiredService { Spec = s.Spec, ConfigHash = s.ConfigHash }));
        state.Apps.Add(app);

        // When the published agent binary hashes them
        var start = new ProcessStartInfo(DeployArtifacts.AgentBinary, "config-hash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var agent = Process.Start(start)!;
        state.WriteTo(agent.StandardInput.BaseStream);
        agent.StandardInput.Close();
        var printed = await agent.StandardOutput.ReadToEndAsync();
        await agent.WaitForExitAsync();
        Assert.True(agent.ExitCode == 0, await agent.StandardError.ReadToEndAsync());

        // Then every hash equals the console's (JIT) hash
        var expected = services.Select(s => $"aot/{s.Spec.Name} {s.ConfigHash}").ToList();
        Assert.Equal(expected, printed.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
