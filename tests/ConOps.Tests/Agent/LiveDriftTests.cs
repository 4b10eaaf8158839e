using ConOps.Agent.Reconcile;
using ConOps.Contract;
using Models = ConOps.Agent.Docker;

namespace ConOps.Tests.Agent;

/// <summary>Live drift names hand-made changes and ignores what the engine adds by itself.</summary>
public sealed class LiveDriftTests
{
    private static readonly AppDesiredState App = new() { App = "shop", Revision = "main@sha1:1" };

    [Fact]
    public void A_container_as_the_engine_reports_it_after_create_has_no_drift()
    {
        var (definition, networks, live, image) = Converged();

        Assert.Empty(LiveDrift.Compare(definition, networks, live, image, "").Fields);
    }

    [Fact]
    public void Docker_update_of_memory_and_restart_policy_is_named_field_by_field()
    {
        var (definition, networks, live, image) = Converged();
        live.HostConfig!.Memory = 64 * 1024 * 1024;
        live.HostConfig!.RestartPolicy = new Models.RestartPolicy { Name = "always" };

        var found = LiveDrift.Compare(definition, networks, live, image, "");

        Assert.Equal(["restart", "resources.memory"], found.Fields);
        Assert.Equal(new Dictionary<string, string> { ["restart"] = "always", ["resources.memory"] = "67108864" }, found.LiveValues);
    }

    [Fact]
    public void Live_values_of_environment_and_labels_name_the_keys_that_differ_never_their_values()
    {
        var (definition, networks, live, image) = Converged();
        live.Config!.Env = ["PATH=/bin", "MODE=debug", "API_TOKEN=hunter2"];
        live.Config!.Labels!["team"] = "secret-team-label";
        live.HostConfig!.LogConfig = new Models.LogConfig { Type = "splunk", Config = new Dictionary<string, string> { ["splunk-token"] = "tok-123" } };
        definition.HostConfig!.LogConfig = new Models.LogConfig { Type = "json-file", Config = new Dictionary<string, string>() };

        var found = LiveDrift.Compare(definition, networks, live, image, "");

        Assert.Equal(["environment", "labels", "logging"], found.Fields);
        Assert.Equal("API_TOKEN, MODE", found.LiveValues["environment"]);
        Assert.Equal("team", found.LiveValues["labels"]);
        Assert.Equal("splunk (splunk-token)", found.LiveValues["logging"]);
        Assert.DoesNotContain(found.LiveValues.Values, v => v.Contains("hunter2", StringComparison.Ordinal) || v.Contains("debug", StringComparison.Ordinal)
            || v.Contains("secret-team-label", StringComparison.Ordinal) || v.Contains("tok-123", StringComparison.Ordinal));
    }

    [Fact]
    public void A_container_recreated_by_hand_with_other_env_image_ports_and_networks_is_named()
    {
        var (definition, networks, live, image) = Converged();
        live.Config!.Image = "web:2";
        live.Config!.Env = [.. live.Config!.Env!, "DEBUG=1"];
        live.HostConfig!.PortBindings = new Dictionary<string, List<Models.HostPortBinding>>();
        live.NetworkSettings!.Networks!.Remove("shop_back");

        Assert.Equal(["image", "environment", "ports", "networks"], LiveDrift.Compare(definition, networks, live, image, "").Fields);
    }

    [Fact]
    public void An_image_whose_registry_digest_differs_from_the_pinned_one_is_named()
    {
        var (definition, networks, live, image) = Converged();
        image.RepoDigests = ["registry.local/web@sha256:" + new string('b', 64)];

        Assert.Equal(["image digest"], LiveDrift.Compare(definition, networks, live, image, "sha256:" + new string('a', 64)).Fields);
    }

    [Fact]
    public void A_container_from_an_earlier_commit_or_another_replica_count_is_not_drift_but_a_hand_changed_user_label_is()
    {
        var (definition, networks, live, image) = Converged();
        // Created by the previous commit, before the service was scaled: its identity labels differ.
        live.Config!.Labels!["conops.revision"] = "main@sha1:0";
        live.Config!.Labels!["conops.config-hash"] = "v1:sha256:" + new string('0', 64);
        live.Config!.Labels!["com.docker.compose.config-hash"] = "v1:sha256:" + new string('0', 64);
        live.Config!.Labels!["conops.config-inputs"] = "image=00000000";
        Assert.Empty(LiveDrift.Compare(definition, networks, live, image, "").Fields);

        live.Config!.Labels!["team"] = "someone-else";
        Assert.Equal(["labels"], LiveDrift.Compare(definition, networks, live, image, "").Fields);
    }

    /// <summary>A spec, its create request, and the inspect the engine answers for it, with the engine's own additions.</summary>
    private static (Models.ContainerCreateRequest, IReadOnlyCollection<string>, Models.ContainerInspectResponse, Models.ImageInspectResponse) Converged()
    {
        var spec = new ServiceSpec { Name = "web", Image = "web:1", Restart = "unless-stopped" };
        spec.Environment.Add("MODE", "prod");
        spec.Labels.Add("team", "infra");
        spec.Ports.Add(new PortBinding { Target = 8080, Published = 8080, HostIp = "127.0.0.1", Protocol = "tcp" });
        spec.Resources = new Resources { MemoryBytes = 128 * 1024 * 1024 };
        spec.Mounts.Add(new Mount { Type = "volume", Source = "shop_data", Target = "/data" });
        spec.Networks.Add(new NetworkAttachment { Name = "back" });
        spec.Networks.Add(new NetworkAttachment { Name = "default" });
        var desired = new DesiredService { Spec = spec, ConfigHash = ConfigHash.Compute(spec) };
        var definition = Models.ContainerDefinition.For(App, desired, "shop-web-1", 1, (_, _, _, _) => "/unused", "/srv/conops/apps/shop/project");
        var networks = Models.ContainerDefinition.Endpoints(App, spec).Select(e => e.Network).ToList();

        var labels = new Dictionary<string, string>(definition.Labels!) { ["org.opencontainers.image.source"] = "from the image" };
        var live = new Models.ContainerInspectResponse
        {
            Config = new Models.ContainerConfig
            {
                Image = "web:1",
                Env = ["PATH=/bin", "MODE=prod"],
                Cmd = ["httpd", "-f"],
                Labels = labels,
                Hostname = "0f1e2d3c4b5a",
            },
            HostConfig = new Models.HostConfig
            {
                RestartPolicy = new Models.RestartPolicy { Name = "unless-stopped" },
                Memory = 128 * 1024 * 1024,
                MemorySwap = 256 * 1024 * 1024, // the engine doubles memory when swap is not set
                PortBindings = new Dictionary<string, List<Models.HostPortBinding>> { ["8080/tcp"] = [new Models.HostPortBinding { HostIp = "127.0.0.1", HostPort = "8080" }] },
                NetworkMode = "shop_back",
                ShmSize = 64 * 1024 * 1024,
                IpcMode = "private",
            },
            Mounts =
            [
                new Models.MountPoint { Type = "volume", Name = "shop_data", Source = "/var/lib/docker/volumes/shop_data/_data", Destination = "/data", RW = true },
                new Models.MountPoint { Type = "volume", Name = new string('c', 64), Destination = "/cache", RW = true }, // anonymous, from the image
            ],
            NetworkSettings = new Models.NetworkSettings
            {
                Networks = new Dictionary<string, Models.EndpointSettings> { ["shop_back"] = new(), ["shop_default"] = new() },
            },
        };
        var image = new Models.ImageInspectResponse { Config = new Models.ImageConfig { Env = ["PATH=/bin"] }, RepoDigests = [] };
        return (definition, networks, live, image);
    }
}
