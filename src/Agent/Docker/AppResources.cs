using ConOps.Contract;
using NetworkSpec = ConOps.Contract.NetworkSpec;

namespace ConOps.Agent.Docker;

/// <summary>
/// Networks and named volumes an app needs, created before its containers with Compose's names and labels
/// (so Compose and ConOps see the same objects). Only called when containers are about to be created or
/// started, so a converged app costs no extra engine calls.
/// </summary>
public sealed partial class AppResources(EngineClient engine, ILogger<AppResources> log)
{
    /// <summary>The networks the app's services attach to: declared ones plus the implicit default.</summary>
    public static IReadOnlyList<NetworkSpec> NetworksNeeded(AppDesiredState app)
    {
        var used = app.Services
            .Where(s => string.IsNullOrEmpty(s.Spec.NetworkMode))
            .SelectMany(s => s.Spec.Networks.Count > 0 ? s.Spec.Networks.Select(n => n.Name) : ["default"])
            .ToHashSet(StringComparer.Ordinal);
        var declared = app.Networks.ToDictionary(n => n.Name, StringComparer.Ordinal);
        return used.Order(StringComparer.Ordinal)
            .Select(name => declared.TryGetValue(name, out var spec)
                ? spec
                : new NetworkSpec { Name = name, EngineName = ContainerDefinition.NetworkEngineName(app, name), Driver = "bridge" })
            .ToList();
    }

    public async Task EnsureAsync(AppDesiredState app, CancellationToken ct)
    {
        var needed = NetworksNeeded(app);
        if (needed.Count > 0)
        {
            var existing = (await engine.ListNetworksAsync([], ct))
                .Select(n => n.Name)
                .ToHashSet(StringComparer.Ordinal);
            foreach (var network in needed)
            {
                var name = string.IsNullOrEmpty(network.EngineName) ? ContainerDefinition.NetworkEngineName(app, network.Name) : network.EngineName;
                if (existing.Contains(name))
                {
                    continue;
                }
                if (network.External)
                {
                    throw new InvalidOperationException($"external network {name} does not exist on this host; create it first");
                }
                await CreateNetworkAsync(app.App, network, name, ct);
            }
        }

        foreach (var volume in app.Volumes.Where(v => !v.External))
        {
            var labels = ManagedLabels.ForApp(app.App);
            labels[ManagedLabels.ComposeVolume] = volume.Name;
            foreach (var (key, value) in volume.Labels)
            {
                labels[key] = value;
            }
            // Creating an existing local volume returns it unchanged: no need to list first.
            await engine.CreateVolumeAsync(new VolumeCreateRequest
            {
                Name = string.IsNullOrEmpty(volume.EngineName) ? $"{app.App}_{volume.Name}" : volume.EngineName,
                Driver = string.IsNullOrEmpty(volume.Driver) ? "local" : volume.Driver,
                DriverOpts = new Dictionary<string, string>(volume.DriverOpts, StringComparer.Ordinal),
                Labels = labels,
            }, ct);
        }
    }

    private async Task CreateNetworkAsync(string app, NetworkSpec network, string name, CancellationToken ct)
    {
        var labels = ManagedLabels.ForApp(app);
        labels[ManagedLabels.ComposeNetwork] = network.Name;
        foreach (var (key, value) in network.Labels)
        {
            labels[key] = value;
        }
        var request = new NetworkCreateRequest
        {
            Name = name,
            Driver = string.IsNullOrEmpty(network.Driver) ? "bridge" : network.Driver,
            Options = new Dictionary<string, string>(network.DriverOpts, StringComparer.Ordinal),
            Internal = network.Internal,
            Attachable = network.Attachable,
            EnableIPv6 = network.EnableIpv6 ? true : null,
            Labels = labels,
            IPAM = network.Subnets.Count == 0 ? null! : new Ipam { Driver = "default", Config = [.. network.Subnets.Select(s => new IpamSubnet { Subnet = s })] },
        };
        try
        {
            await engine.CreateNetworkAsync(request, ct);
            LogCreated(app, name);
        }
        catch (EngineException ex) when (ex.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // Created meanwhile by someone else under the same name: use it.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "App {App}: created network {Network}")]
    private partial void LogCreated(string app, string network);
}
