using ConOps.Contract;
using Docker.DotNet.Models;
using PortBinding = Docker.DotNet.Models.PortBinding;
using ServiceSpec = ConOps.Contract.ServiceSpec;

namespace ConOps.Agent.Docker;

/// <summary>Translates a desired service into the engine's create-container request. Pure: no engine calls.</summary>
public static class ContainerDefinition
{
    public static CreateContainerParameters For(string app, string revision, DesiredService desired, string name)
    {
        var spec = desired.Spec;
        var labels = new Dictionary<string, string>(spec.Labels, StringComparer.Ordinal)
        {
            [ManagedLabels.Manager] = ManagedLabels.ManagerValue,
            [ManagedLabels.App] = app,
            [ManagedLabels.Service] = spec.Name,
            [ManagedLabels.ConfigHash] = desired.ConfigHash,
            [ManagedLabels.Revision] = revision,
            [ManagedLabels.ComposeProject] = app,
            [ManagedLabels.ComposeService] = spec.Name,
            [ManagedLabels.ComposeContainerNumber] = "1",
            [ManagedLabels.ComposeOneOff] = "False",
        };

        var exposed = new Dictionary<string, EmptyStruct>(StringComparer.Ordinal);
        var bindings = new Dictionary<string, IList<PortBinding>>(StringComparer.Ordinal);
        foreach (var port in spec.Ports)
        {
            var key = $"{port.Target}/{(string.IsNullOrEmpty(port.Protocol) ? "tcp" : port.Protocol)}";
            exposed[key] = default;
            if (!bindings.TryGetValue(key, out var list))
            {
                bindings[key] = list = [];
            }
            list.Add(new PortBinding
            {
                HostIP = port.HostIp ?? "",
                HostPort = port.Published == 0 ? "" : port.Published.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
        }

        return new CreateContainerParameters
        {
            Name = name,
            Image = ImageToRun(spec),
            Cmd = spec.Command.Count > 0 ? [.. spec.Command] : null!,
            Entrypoint = spec.Entrypoint.Count > 0 ? [.. spec.Entrypoint] : null!,
            Env = [.. spec.Environment.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}")],
            Labels = labels,
            ExposedPorts = exposed,
            HostConfig = new HostConfig
            {
                PortBindings = bindings,
                RestartPolicy = RestartPolicyFor(spec.Restart),
            },
        };
    }

    /// <summary>The digest-pinned reference when the console resolved one, so every host runs the same bits.</summary>
    public static string ImageToRun(ServiceSpec spec) =>
        string.IsNullOrEmpty(spec.ImageDigest) ? spec.Image : $"{StripTag(spec.Image)}@{spec.ImageDigest}";

    private static string StripTag(string image)
    {
        var at = image.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            image = image[..at];
        }
        var slash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        return colon > slash ? image[..colon] : image;
    }

    private static RestartPolicy RestartPolicyFor(string restart)
    {
        if (string.IsNullOrEmpty(restart) || restart == "no")
        {
            return new RestartPolicy { Name = RestartPolicyKind.No };
        }
        var parts = restart.Split(':', 2);
        return parts[0] switch
        {
            "always" => new RestartPolicy { Name = RestartPolicyKind.Always },
            "unless-stopped" => new RestartPolicy { Name = RestartPolicyKind.UnlessStopped },
            "on-failure" => new RestartPolicy
            {
                Name = RestartPolicyKind.OnFailure,
                MaximumRetryCount = parts.Length == 2 && long.TryParse(parts[1], out var n) ? n : 0,
            },
            _ => throw new ArgumentException($"Unknown restart policy '{restart}'.", nameof(restart)),
        };
    }
}
