using Docker.DotNet;
using Docker.DotNet.Models;

namespace ConOps.IntegrationTests.Support;

/// <summary>
/// The real Docker engine the tests use. A test that needs it fails (never skips) with instructions when no
/// engine answers.
/// </summary>
public sealed class DockerEngine : IDisposable
{
    public DockerEngine() : this(TestEnvironment.DockerHost)
    {
    }

    public DockerEngine(string endpoint)
    {
        Endpoint = endpoint;
        Client = new DockerClientBuilder().WithEndpoint(new Uri(endpoint)).Build();
        try
        {
            Version = Client.System.GetVersionAsync().GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException(
                $"No Docker engine answers at {endpoint} ({ex.Message}). These tests need a real engine: run `sudo scripts/testenv.sh up` " +
                "(it installs Debian's docker.io if needed, starts dockerd and builds the local test images), or point CONOPS_TEST_DOCKER_HOST at one.", ex);
        }
    }

    public string Endpoint { get; }

    public IDockerClient Client { get; }

    public VersionResponse Version { get; }

    public async Task<IList<ContainerListResponse>> ManagedContainersAsync(string app) =>
        await Client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"conops.app={app}"] = true } },
        });

    /// <summary>The app's only container when it runs; null when there is none, more than one, or it is stopped.</summary>
    public async Task<ContainerInspectResponse?> RunningContainerAsync(string app)
    {
        var containers = await ManagedContainersAsync(app);
        if (containers.Count != 1)
        {
            return null;
        }
        var inspect = await Client.Containers.InspectContainerAsync(containers[0].ID);
        return inspect.State.Running ? inspect : null;
    }

    /// <summary>
    /// Removes every container, network and volume of an app (test cleanup: the engine's address pools are finite).
    /// An agent that is still running may recreate a container meanwhile (self-heal), which keeps the network in
    /// use: the sweep is repeated until the network goes.
    /// </summary>
    public async Task RemoveAppAsync(string app)
    {
        var project = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"com.docker.compose.project={app}"] = true } };
        for (var attempt = 1; ; attempt++)
        {
            foreach (var c in await ManagedContainersAsync(app))
            {
                await Client.Containers.RemoveContainerAsync(c.ID, new ContainerRemoveParameters { Force = true });
            }
            try
            {
                foreach (var network in await Client.Networks.ListNetworksAsync(new NetworksListParameters { Filters = project }))
                {
                    await Client.Networks.DeleteNetworkAsync(network.ID);
                }
                break;
            }
            catch (DockerApiException ex) when (attempt < 20 && ex.ResponseBody.Contains("active endpoints", StringComparison.Ordinal))
            {
                await Task.Delay(500);
            }
        }
        var volumes = await Client.Volumes.ListAsync(new VolumesListParameters { Filters = project });
        foreach (var volume in volumes.Volumes ?? [])
        {
            await Client.Volumes.RemoveAsync(volume.Name, force: true);
        }
    }

    public void Dispose() => Client.Dispose();
}
