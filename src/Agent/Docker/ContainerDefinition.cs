using System.Globalization;
using ConOps.Contract;
using ServiceSpec = ConOps.Contract.ServiceSpec;

namespace ConOps.Agent.Docker;

/// <summary>Where a mounted file (config, secret, repository file) lives on the host: its copy in the file store.</summary>
public delegate string FileLocator(string contentDigest, uint mode, string uid, string gid);

/// <summary>Translates a desired service into the engine's create-container request. Pure: no engine calls.</summary>
public static class ContainerDefinition
{
    /// <summary>Compose's default mode for secrets and configs (0444).</summary>
    public const uint DefaultFileMode = 292;

    /// <summary>0555: a repository file Git marks executable, mounted read-only.</summary>
    public const uint ExecutableFileMode = 365;

    /// <param name="app">The app the service belongs to.</param>
    /// <param name="desired">The service.</param>
    /// <param name="name">The container's name.</param>
    /// <param name="number">Which replica of the service it is (1 unless the service scales).</param>
    /// <param name="files">Where the file store keeps a mounted file.</param>
    /// <param name="projectFolder">The app's own folder on the host, which binds relative to the app folder mount.</param>
    /// <param name="composeFile">The Compose project file written for the app, for Compose's labels.</param>
    public static ContainerCreateRequest For(AppDesiredState app, DesiredService desired, string name, int number, FileLocator files, string projectFolder, string? composeFile = null)
    {
        var spec = desired.Spec;
        var labels = new Dictionary<string, string>(spec.Labels, StringComparer.Ordinal);
        foreach (var (key, value) in ManagedLabels.ForApp(app.App))
        {
            labels[key] = value;
        }
        labels[ManagedLabels.Service] = spec.Name;
        labels[ManagedLabels.ConfigHash] = desired.ConfigHash;
        labels[ManagedLabels.ConfigInputs] = ConfigInputs.Label(spec);
        labels[ManagedLabels.Revision] = app.Revision;
        labels[ManagedLabels.ComposeService] = spec.Name;
        labels[ManagedLabels.ComposeContainerNumber] = number.ToString(CultureInfo.InvariantCulture);
        labels[ManagedLabels.ComposeOneOff] = "False";
        labels[ManagedLabels.ComposeConfigHash] = desired.ConfigHash;
        if (spec.DependsOn.Count > 0)
        {
            labels[ManagedLabels.ComposeDependsOn] = string.Join(',', spec.DependsOn.Select(d => $"{d.Service}:{d.Condition}:{d.Restart.ToString().ToLowerInvariant()}"));
        }
        if (composeFile is not null)
        {
            labels[ManagedLabels.ComposeWorkingDir] = Path.GetDirectoryName(composeFile)!;
            labels[ManagedLabels.ComposeConfigFiles] = composeFile;
        }

        var (exposed, bindings) = Ports(spec);
        var (mounts, binds) = Mounts(spec, files, projectFolder);
        var endpoints = Endpoints(app, spec);

        return new ContainerCreateRequest
        {
            Name = name,
            Image = ImageToRun(spec),
            Cmd = spec.Command.Count > 0 ? [.. spec.Command] : null!,
            Entrypoint = spec.Entrypoint.Count > 0 ? [.. spec.Entrypoint] : null!,
            Env = [.. spec.Environment.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}")],
            Labels = labels,
            ExposedPorts = exposed,
            User = NullIfEmpty(spec.User),
            WorkingDir = NullIfEmpty(spec.WorkingDir),
            Hostname = NullIfEmpty(spec.Hostname),
            Domainname = NullIfEmpty(spec.Domainname),
            Tty = spec.Tty,
            OpenStdin = spec.StdinOpen,
            StopSignal = NullIfEmpty(spec.StopSignal),
            StopTimeout = spec.StopGracePeriod is null ? null : (int)Math.Ceiling(spec.StopGracePeriod.ToTimeSpan().TotalSeconds),
            Healthcheck = Health(spec.Healthcheck),
            HostConfig = new HostConfig
            {
                PortBindings = bindings,
                RestartPolicy = RestartPolicyFor(spec.Restart),
                Mounts = mounts,
                Binds = binds.Count > 0 ? binds : null!,
                NetworkMode = NetworkMode(app, spec),
                CapAdd = NullIfEmpty(spec.CapAdd),
                CapDrop = NullIfEmpty(spec.CapDrop),
                Privileged = spec.Privileged,
                SecurityOpt = NullIfEmpty(spec.SecurityOpt),
                Devices = spec.Devices.Count == 0 ? null! : [.. spec.Devices.Select(d => new HostDevice
                {
                    PathOnHost = d.HostPath,
                    PathInContainer = string.IsNullOrEmpty(d.ContainerPath) ? d.HostPath : d.ContainerPath,
                    CgroupPermissions = string.IsNullOrEmpty(d.Permissions) ? "rwm" : d.Permissions,
                })],
                Dns = NullIfEmpty(spec.Dns),
                DnsSearch = NullIfEmpty(spec.DnsSearch),
                ExtraHosts = NullIfEmpty(spec.ExtraHosts),
                GroupAdd = NullIfEmpty(spec.GroupAdd),
                Ulimits = spec.Ulimits.Count == 0 ? null! : [.. spec.Ulimits.OrderBy(u => u.Key, StringComparer.Ordinal).Select(u => new ResourceUlimit { Name = u.Key, Soft = u.Value.Soft, Hard = u.Value.Hard })],
                Sysctls = spec.Sysctls.Count == 0 ? null! : new Dictionary<string, string>(spec.Sysctls, StringComparer.Ordinal),
                LogConfig = spec.Logging is { Driver.Length: > 0 } logging
                    ? new LogConfig { Type = logging.Driver, Config = new Dictionary<string, string>(logging.Options, StringComparer.Ordinal) }
                    : null!,
                Init = spec.HasInit ? spec.Init : null,
                ReadonlyRootfs = spec.ReadOnly,
                ShmSize = spec.ShmSizeBytes,
                PidMode = NullIfEmpty(spec.Pid),
                IpcMode = NullIfEmpty(spec.Ipc),
                Tmpfs = spec.Tmpfs.Count == 0 ? null! : spec.Tmpfs.Select(t => t.Split(':', 2)).ToDictionary(p => p[0], p => p.Length == 2 ? p[1] : "", StringComparer.Ordinal),
                NanoCpus = (long)Math.Round((spec.Resources?.Cpus ?? 0) * 1e9),
                Memory = spec.Resources?.MemoryBytes ?? 0,
                MemoryReservation = spec.Resources?.MemoryReservationBytes ?? 0,
                MemorySwap = spec.Resources?.MemswapBytes ?? 0,
                PidsLimit = spec.Resources is { PidsLimit: > 0 } r ? r.PidsLimit : null,
                CpuShares = spec.Resources?.CpuShares ?? 0,
                CpusetCpus = NullIfEmpty(spec.Resources?.Cpuset ?? ""),
            },
            NetworkingConfig = endpoints.Count == 0 ? null! : new NetworkingConfig
            {
                // API 1.41 accepts one endpoint at create; the others are connected before start.
                EndpointsConfig = new Dictionary<string, EndpointSettings> { [endpoints[0].Network] = endpoints[0].Settings },
            },
        };
    }

    /// <summary>The networks a service joins, engine names first: compose attaches "default" unless told otherwise.</summary>
    public static IReadOnlyList<(string Network, EndpointSettings Settings)> Endpoints(AppDesiredState app, ServiceSpec spec)
    {
        if (!string.IsNullOrEmpty(spec.NetworkMode))
        {
            return [];
        }
        var attachments = spec.Networks.Count > 0 ? spec.Networks.ToList() : [new ConOps.Contract.NetworkAttachment { Name = "default" }];
        return attachments
            .OrderByDescending(a => a.Priority)
            .ThenBy(a => a.Name, StringComparer.Ordinal)
            .Select(a => (NetworkEngineName(app, a.Name), new EndpointSettings
            {
                Aliases = [spec.Name, .. a.Aliases],
                MacAddress = NullIfEmpty(a.MacAddress),
                IPAMConfig = string.IsNullOrEmpty(a.Ipv4Address) && string.IsNullOrEmpty(a.Ipv6Address)
                    ? null!
                    : new EndpointIpamConfig { IPv4Address = NullIfEmpty(a.Ipv4Address), IPv6Address = NullIfEmpty(a.Ipv6Address) },
            }))
            .ToList();
    }

    /// <summary>A network's name on the engine: as the app declares it, else the compose rule <c>&lt;app&gt;_&lt;name&gt;</c>.</summary>
    public static string NetworkEngineName(AppDesiredState app, string name) =>
        app.Networks.FirstOrDefault(n => n.Name == name) is { EngineName.Length: > 0 } declared ? declared.EngineName : $"{app.App}_{name}";

    /// <summary>The engine's network mode: the first network (compose does the same), or the mode given.</summary>
    public static string NetworkMode(AppDesiredState app, ServiceSpec spec)
    {
        if (string.IsNullOrEmpty(spec.NetworkMode))
        {
            return Endpoints(app, spec)[0].Network;
        }
        // service:<name> means the container of that service in the same app.
        return spec.NetworkMode.StartsWith("service:", StringComparison.Ordinal)
            ? "container:" + ManagedLabels.ContainerName(app.App, spec.NetworkMode["service:".Length..])
            : spec.NetworkMode;
    }

    /// <summary>The digest-pinned reference when the console resolved one, so every host runs the same bits.</summary>
    public static string ImageToRun(ServiceSpec spec) =>
        string.IsNullOrEmpty(spec.ImageDigest) ? spec.Image : $"{ImageReference.Repository(spec.Image)}@{spec.ImageDigest}";

    /// <summary>The restart policy as the engine spells it.</summary>
    public static RestartPolicy RestartPolicyFor(string restart)
    {
        if (string.IsNullOrEmpty(restart) || restart == "no")
        {
            return new RestartPolicy { Name = "no" };
        }
        var parts = restart.Split(':', 2);
        return parts[0] switch
        {
            "always" => new RestartPolicy { Name = "always" },
            "unless-stopped" => new RestartPolicy { Name = "unless-stopped" },
            "on-failure" => new RestartPolicy
            {
                Name = "on-failure",
                MaximumRetryCount = parts.Length == 2 && long.TryParse(parts[1], out var n) ? n : 0,
            },
            _ => throw new ArgumentException($"Unknown restart policy '{restart}'.", nameof(restart)),
        };
    }

    private static (Dictionary<string, EmptyObject> Exposed, Dictionary<string, List<HostPortBinding>> Bindings) Ports(ServiceSpec spec)
    {
        var exposed = new Dictionary<string, EmptyObject>(StringComparer.Ordinal);
        var bindings = new Dictionary<string, List<HostPortBinding>>(StringComparer.Ordinal);
        foreach (var port in spec.Ports)
        {
            var key = $"{port.Target}/{(string.IsNullOrEmpty(port.Protocol) ? "tcp" : port.Protocol)}";
            exposed[key] = new EmptyObject();
            if (!bindings.TryGetValue(key, out var list))
            {
                bindings[key] = list = [];
            }
            list.Add(new HostPortBinding
            {
                HostIp = port.HostIp ?? "",
                HostPort = port.Published == 0 ? "" : port.Published.ToString(CultureInfo.InvariantCulture),
            });
        }
        foreach (var expose in spec.Expose)
        {
            exposed[expose.Contains('/', StringComparison.Ordinal) ? expose : expose + "/tcp"] = new EmptyObject();
        }
        return (exposed, bindings);
    }

    /// <summary>
    /// Volumes, tmpfs and file mounts go through the Mounts API; binds that may create their host path go
    /// through Binds, which creates a missing folder as compose does.
    /// </summary>
    private static (List<ContainerMount> Mounts, List<string> Binds) Mounts(ServiceSpec spec, FileLocator files, string projectFolder)
    {
        var mounts = new List<ContainerMount>();
        var binds = new List<string>();
        foreach (var m in spec.Mounts)
        {
            switch (m.Type)
            {
                case "volume":
                    mounts.Add(new ContainerMount
                    {
                        Type = "volume",
                        Source = NullIfEmpty(m.Source),
                        Target = m.Target,
                        ReadOnly = m.ReadOnly,
                        VolumeOptions = m.NoCopy || m.Subpath.Length > 0 ? new VolumeOptions { NoCopy = m.NoCopy, Subpath = NullIfEmpty(m.Subpath) } : null!,
                    });
                    break;
                case "tmpfs":
                    mounts.Add(new ContainerMount
                    {
                        Type = "tmpfs",
                        Target = m.Target,
                        TmpfsOptions = new TmpfsOptions { SizeBytes = m.TmpfsSizeBytes, Mode = m.TmpfsMode == 0 ? 0 : OctalAsWritten(m.TmpfsMode) },
                    });
                    break;
                case "bind" when ProjectFolder.FromFileStore(m):
                    mounts.Add(new ContainerMount { Type = "bind", Source = files(m.ContentDigest, m.Executable ? ExecutableFileMode : 0, "", ""), Target = m.Target, ReadOnly = m.ReadOnly });
                    break;
                case "bind" when m.CreateHostPath:
                    var options = new List<string> { m.ReadOnly ? "ro" : "rw" };
                    if (m.Selinux.Length > 0)
                    {
                        options.Add(m.Selinux);
                    }
                    if (m.Propagation.Length > 0)
                    {
                        options.Add(m.Propagation);
                    }
                    binds.Add($"{BindSource(m, projectFolder)}:{m.Target}:{string.Join(',', options)}");
                    break;
                case "bind":
                    mounts.Add(new ContainerMount
                    {
                        Type = "bind",
                        Source = BindSource(m, projectFolder),
                        Target = m.Target,
                        ReadOnly = m.ReadOnly,
                        BindOptions = m.Propagation.Length > 0 ? new BindOptions { Propagation = m.Propagation } : null!,
                    });
                    break;
                default:
                    throw new ArgumentException($"service {spec.Name}: mount type '{m.Type}' is not supported on this host");
            }
        }
        foreach (var file in spec.Secrets.Select(s => (Mount: s, Default: "/run/secrets/" + s.Source))
                     .Concat(spec.Configs.Select(c => (Mount: c, Default: "/" + c.Source))))
        {
            if (file.Mount.External)
            {
                throw new ArgumentException($"service {spec.Name}: external secret/config '{file.Mount.Source}' is not available on a single Docker host; give it a file or content");
            }
            mounts.Add(new ContainerMount
            {
                Type = "bind",
                Source = files(file.Mount.ContentDigest, file.Mount.Mode == 0 ? DefaultFileMode : file.Mount.Mode, file.Mount.Uid, file.Mount.Gid),
                Target = string.IsNullOrEmpty(file.Mount.Target) ? file.Default : file.Mount.Target,
                ReadOnly = true,
            });
        }
        return (mounts, binds);
    }

    /// <summary>A bind's host path: the app folder's copy for a path relative to the app folder, else as written.</summary>
    private static string BindSource(ConOps.Contract.Mount mount, string projectFolder) =>
        mount.ProjectPath.Length > 0 ? ProjectFolder.Locate(projectFolder, mount.ProjectPath) : mount.Source;

    /// <summary>Converts a mode the console kept "as written" (e.g. 1777) to the number it denotes in octal.</summary>
    private static uint OctalAsWritten(uint written) =>
        Convert.ToUInt32(written.ToString(CultureInfo.InvariantCulture), 8);

    private static long? Nanoseconds(Google.Protobuf.WellKnownTypes.Duration? duration) =>
        duration is null ? null : duration.ToTimeSpan().Ticks * 100;

    private static HealthConfig Health(Healthcheck? health)
    {
        if (health is null)
        {
            return null!;
        }
        if (health.Disable)
        {
            return new HealthConfig { Test = ["NONE"] };
        }
        return new HealthConfig
        {
            Test = health.Test.Count > 0 ? [.. health.Test] : null!,
            Interval = Nanoseconds(health.Interval),
            Timeout = Nanoseconds(health.Timeout),
            StartPeriod = Nanoseconds(health.StartPeriod),
            StartInterval = Nanoseconds(health.StartInterval),
            Retries = health.Retries == 0 ? null : health.Retries,
        };
    }

    private static string NullIfEmpty(string value) => string.IsNullOrEmpty(value) ? null! : value;

    private static List<string> NullIfEmpty(IEnumerable<string> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? null! : list;
    }
}
