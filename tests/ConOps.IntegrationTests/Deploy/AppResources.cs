using ConOps.IntegrationTests.Support;
using Docker.DotNet.Models;

namespace ConOps.IntegrationTests.Deploy;

/// <summary>Test cleanup: an app's containers, and the networks and volumes its agent created (named &lt;app&gt;_...).</summary>
public static class AppResources
{
    public static async Task RemoveAsync(DockerEngine docker, string app)
    {
        await docker.RemoveAppAsync(app);
        var prefix = app + "_";
        foreach (var network in await docker.Client.Networks.ListNetworksAsync(new NetworksListParameters()))
        {
            if (network.Name.StartsWith(prefix, StringComparison.Ordinal))
            {
                await docker.Client.Networks.DeleteNetworkAsync(network.ID);
            }
        }
        var volumes = await docker.Client.Volumes.ListAsync(new VolumesListParameters());
        foreach (var volume in volumes.Volumes ?? [])
        {
            if (volume.Name.StartsWith(prefix, StringComparison.Ordinal))
            {
                await docker.Client.Volumes.RemoveAsync(volume.Name, force: true);
            }
        }
    }
}
