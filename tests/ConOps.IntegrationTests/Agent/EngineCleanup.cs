using ConOps.IntegrationTests.Support;
using Docker.DotNet.Models;

namespace ConOps.IntegrationTests.Agent;

/// <summary>Removes exactly what a test's app created: its containers, networks and volumes (by the app label).</summary>
public static class EngineCleanup
{
    public static async Task RemoveAppAsync(this DockerEngine engine, string app, bool volumes)
    {
        await engine.RemoveAppAsync(app);
        var filter = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"conops.app={app}"] = true } };
        foreach (var network in await engine.Client.Networks.ListNetworksAsync(new NetworksListParameters { Filters = filter }))
        {
            await engine.Client.Networks.DeleteNetworkAsync(network.ID);
        }
        if (volumes)
        {
            foreach (var volume in (await engine.Client.Volumes.ListAsync(new VolumesListParameters { Filters = filter })).Volumes ?? [])
            {
                await engine.Client.Volumes.RemoveAsync(volume.Name, force: true);
            }
        }
    }

    public static async Task<ContainerInspectResponse> InspectAsync(this DockerEngine engine, string name) =>
        await engine.Client.Containers.InspectContainerAsync(name);

    /// <summary>Runs the docker CLI against the test engine (as an operator would) and returns its output.</summary>
    public static string Cli(this DockerEngine engine, params string[] args) => Run(engine.Endpoint, "docker", args);

    public static string Run(string dockerHost, string file, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["DOCKER_HOST"] = dockerHost;
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return process.ExitCode == 0
            ? output.Result + error.Result
            : throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {error.Result}{output.Result}");
    }
}
