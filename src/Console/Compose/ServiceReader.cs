using System.Globalization;
using System.Text;
using ConOps.Contract;
using static ConOps.Console.Compose.ComposeValues;
using static ConOps.Console.Compose.NodeReading;

namespace ConOps.Console.Compose;

/// <summary>
/// Normalizes one merged service definition into the contract's <see cref="ServiceSpec"/>: short and long
/// syntax to one form, defaults filled in, order-free lists sorted, paths absolute, file contents by digest.
/// </summary>
internal sealed class ServiceReader(ProjectModel project)
{
    private static readonly string[] Known =
    [
        "image", "build", "command", "entrypoint", "environment", "env_file", "ports", "expose", "volumes", "tmpfs",
        "labels", "networks", "network_mode", "depends_on", "healthcheck", "restart", "deploy", "mem_limit",
        "memswap_limit", "mem_reservation", "cpus", "cpu_shares", "cpuset", "pids_limit", "user", "working_dir",
        "hostname", "domainname", "cap_add", "cap_drop", "privileged", "security_opt", "devices", "dns", "dns_search",
        "extra_hosts", "ulimits", "sysctls", "logging", "stop_signal", "stop_grace_period", "init", "tty", "stdin_open",
        "read_only", "shm_size", "pid", "ipc", "pull_policy", "platform", "container_name", "secrets", "configs",
        "group_add", "scale", "profiles", "extends",
    ];

    /// <summary>Valid compose service fields ConOps cannot apply yet: named separately so the message says so.</summary>
    private static readonly string[] NotYetSupported =
    [
        "annotations", "attach", "blkio_config", "cgroup", "cgroup_parent", "cpu_count", "cpu_percent", "cpu_period",
        "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpus_reservation", "credential_spec", "develop",
        "device_cgroup_rules", "dns_opt", "external_links", "gpus", "isolation", "label_file", "links", "mac_address",
        "mem_swappiness", "models", "oom_kill_disable", "oom_score_adj", "post_start", "pre_stop", "provider", "runtime",
        "storage_opt", "use_api_socket", "userns_mode", "uts", "volumes_from",
    ];

    public ServiceSpec Read(string name, MappingNode map)
    {
        var what = $"service '{name}'";
        var spec = new ServiceSpec { Name = name };
        Node? environment = null, envFiles = null, networks = null;
        foreach (var (keyNode, value) in map.Entries)
        {
            var key = keyNode.Value ?? "";
            if (key.StartsWith("x-", StringComparison.Ordinal) || value is ScalarNode { IsNull: true } || value.Tag == "!reset")
            {
                continue;
            }
            switch (key)
            {
                case "image": spec.Image = Text(value, key, what); break;
                case "build": spec.Build = ReadBuild(value, what); break;
                case "command": spec.Command.AddRange(CommandWords(value, key, what)); break;
                case "entrypoint": spec.Entrypoint.AddRange(CommandWords(value, key, what)); break;
                case "environment": environment = value; break;
                case "env_file": envFiles = value; break;
                case "ports": ReadPorts(spec, value, what); break;
                case "expose": spec.Expose.AddRange(Expose(value, what)); break;
                case "volumes": ReadMounts(spec, value, what); break;
                case "tmpfs": spec.Tmpfs.AddRange(Sorted(StringList(value, key, what))); break;
                case "labels": AddSorted(spec.Labels, KeyValues(value, "labels", what, _ => "")); break;
                case "networks": networks = value; break;
                case "network_mode": spec.NetworkMode = Text(value, key, what); break;
                case "depends_on": ReadDependsOn(spec, value, what); break;
                case "healthcheck": spec.Healthcheck = ReadHealthcheck(value, what); break;
                case "restart": spec.Restart = Restart(Text(value, key, what), value, what); break;
                case "deploy": ReadDeploy(spec, value, what); break;
                case "mem_limit": SetOnce(spec, value, "memory", r => r.MemoryBytes, (r, v) => r.MemoryBytes = v, ParseBytes(Text(value, key, what), value), what); break;
                case "memswap_limit": Resources(spec).MemswapBytes = Text(value, key, what) == "-1" ? -1 : ParseBytes(Text(value, key, what), value); break;
                case "mem_reservation": SetOnce(spec, value, "memory reservation", r => r.MemoryReservationBytes, (r, v) => r.MemoryReservationBytes = v, ParseBytes(Text(value, key, what), value), what); break;
                case "cpus": SetOnce(spec, value, "cpus", r => r.Cpus, (r, v) => r.Cpus = v, ParseCpus(Text(value, key, what), value), what); break;
                case "cpu_shares": Resources(spec).CpuShares = ParseInteger(Text(value, key, what), value, 0, 262_144); break;
                case "cpuset": Resources(spec).Cpuset = Text(value, key, what); break;
                case "pids_limit": SetOnce(spec, value, "pids", r => r.PidsLimit, (r, v) => r.PidsLimit = v, ParseInteger(Text(value, key, what), value, -1), what); break;
                case "user": spec.User = Text(value, key, what); break;
                case "working_dir": spec.WorkingDir = Text(value, key, what); break;
                case "hostname": spec.Hostname = Text(value, key, what); break;
                case "domainname": spec.Domainname = Text(value, key, what); break;
                case "cap_add": spec.CapAdd.AddRange(Sorted(StringList(value, key, what))); break;
                case "cap_drop": spec.CapDrop.AddRange(Sorted(StringList(value, key, what))); break;
                case "privileged": spec.Privileged = Bool(value, key, what); break;
                case "security_opt": spec.SecurityOpt.AddRange(Sorted(StringList(value, key, what))); break;
                case "devices": ReadDevices(spec, value, what); break;
                case "dns": spec.Dns.AddRange(StringList(value, key, what)); break;
                case "dns_search": spec.DnsSearch.AddRange(StringList(value, key, what)); break;
                case "extra_hosts": spec.ExtraHosts.AddRange(ExtraHosts(value, what)); break;
                case "ulimits": ReadUlimits(spec, value, what); break;
                case "sysctls": AddSorted(spec.Sysctls, KeyValues(value, "sysctls", what, k => throw value.Error($"{what}: sysctl '{k}' has no value"))); break;
                case "logging": spec.Logging = ReadLogging(value, what); break;
                case "stop_signal": spec.StopSignal = Text(value, key, what); break;
                case "stop_grace_period": spec.StopGracePeriod = ParseDuration(Text(value, key, what), value); break;
                case "init": spec.Init = Bool(value, key, what); break;
                case "tty": spec.Tty = Bool(value, key, what); break;
                case "stdin_open": spec.StdinOpen = Bool(value, key, what); break;
                case "read_only": spec.ReadOnly = Bool(value, key, what); break;
                case "shm_size": spec.ShmSizeBytes = ParseBytes(Text(value, key, what), value); break;
                case "pid": spec.Pid = Text(value, key, what); break;
                case "ipc": spec.Ipc = Text(value, key, what); break;
                case "pull_policy": spec.PullPolicy = PullPolicy(Text(value, key, what), value, what); break;
                case "platform": spec.Platform = Text(value, key, what); break;
                case "container_name": spec.ContainerName = Text(value, key, what); break;
                case "secrets": spec.Secrets.AddRange(FileMounts(value, project.Secrets, "secret", what)); break;
                case "configs": spec.Configs.AddRange(FileMounts(value, project.Configs, "config", what)); break;
                case "group_add": spec.GroupAdd.AddRange(Sorted(StringList(value, key, what))); break;
                case "scale": spec.Scale = (int)ParseInteger(Text(value, key, what), value, 0, 1000); break;
                case "profiles" or "extends": break;
                default: throw Unknown(keyNode, what, Known, NotYetSupported);
            }
        }

        if (string.IsNullOrEmpty(spec.Image) && spec.Build is null)
        {
            throw map.Error($"{what} has neither 'image' nor 'build'; say which image to run");
        }
        ReadEnvironment(spec, envFiles, environment, what);
        ReadNetworks(spec, networks, map, what);
        return spec;
    }

    private BuildSpec ReadBuild(Node value, string what)
    {
        var build = new BuildSpec();
        if (value is ScalarNode scalar)
        {
            build.Context = Context(Text(scalar, "build", what), scalar);
            return build;
        }
        var map = Map(value, "build", what);
        build.Context = Context(".", map);
        foreach (var (keyNode, v) in map.Entries)
        {
            if (v is ScalarNode { IsNull: true })
            {
                continue;
            }
            switch (keyNode.Value)
            {
                case "context": build.Context = Context(Text(v, "build.context", what), v); break;
                case "dockerfile": build.Dockerfile = Text(v, "build.dockerfile", what); break;
                case "target": build.Target = Text(v, "build.target", what); break;
                case "args": AddSorted(build.Args, KeyValues(v, "build.args", what, k => project.Lookup(k))); break;
                case "labels": AddSorted(build.Labels, KeyValues(v, "build.labels", what, _ => "")); break;
                case var k when k!.StartsWith("x-", StringComparison.Ordinal): break;
                default:
                    throw Unknown(keyNode, $"{what}: build", ["context", "dockerfile", "target", "args", "labels"],
                    ["additional_contexts", "cache_from", "cache_to", "dockerfile_inline", "entitlements", "extra_hosts", "isolation", "network", "no_cache", "platforms", "privileged", "pull", "secrets", "shm_size", "ssh", "tags", "ulimits"]);
            }
        }
        return build;
    }

    private string Context(string context, Node where) =>
        context.Contains("://", StringComparison.Ordinal) || context.StartsWith("git@", StringComparison.Ordinal)
            ? context
            : project.Files.Resolve(context, where, "build context");

    private static List<string> CommandWords(Node value, string key, string what) => value switch
    {
        ScalarNode { Value: { } text } => ShellSplit(text, value),
        SequenceNode seq => [.. seq.Items.Select(i => Text(i, key, what))],
        _ => throw value.Error($"{what}: '{key}' must be a string or a list of strings, not {value.Kind}"),
    };

    private static void ReadPorts(ServiceSpec spec, Node value, string what)
    {
        var ports = new List<PortBinding>();
        foreach (var item in Seq(value, "ports", what).Items)
        {
            ports.AddRange(item is MappingNode map ? [LongPort(map, what)] : ShortPorts(Text(item, "ports", what), item, what));
        }
        spec.Ports.AddRange(ports
            .DistinctBy(p => (p.Target, p.Published, p.HostIp, p.Protocol, p.Mode))
            .OrderBy(p => p.Target).ThenBy(p => p.Protocol, StringComparer.Ordinal).ThenBy(p => p.HostIp, StringComparer.Ordinal).ThenBy(p => p.Published));
    }

    private static IEnumerable<PortBinding> ShortPorts(string text, Node where, string what)
    {
        var rest = text.Trim();
        var protocol = "tcp";
        var slash = rest.LastIndexOf('/');
        if (slash >= 0)
        {
            protocol = Protocol(rest[(slash + 1)..], where, what);
            rest = rest[..slash];
        }
        var hostIp = "";
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0)
            {
                throw where.Error($"{what}: port '{text}' has an IPv6 address without ']:' after it");
            }
            hostIp = rest[1..close];
            rest = rest[(close + 2)..];
        }
        var parts = rest.Split(':');
        if (parts.Length == 3 && hostIp.Length == 0)
        {
            hostIp = parts[0];
            parts = parts[1..];
        }
        if (parts.Length > 2)
        {
            throw where.Error($"{what}: port '{text}' is not [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL] (write IPv6 host addresses in brackets)");
        }
        var (targetFrom, targetTo) = PortRange(parts[^1], text, where, what);
        if (parts.Length == 1 || parts[0].Length == 0)
        {
            return Enumerable.Range(0, targetTo - targetFrom + 1).Select(i => Port(targetFrom + i, 0, hostIp, protocol, ""));
        }
        var (publishedFrom, publishedTo) = PortRange(parts[0], text, where, what);
        if (publishedTo - publishedFrom != targetTo - targetFrom)
        {
            throw where.Error($"{what}: port '{text}' maps a range of {publishedTo - publishedFrom + 1} host port(s) to {targetTo - targetFrom + 1} container port(s); the two ranges must be the same size");
        }
        return Enumerable.Range(0, targetTo - targetFrom + 1).Select(i => Port(targetFrom + i, publishedFrom + i, hostIp, protocol, ""));
    }

    private static PortBinding LongPort(MappingNode map, string what)
    {
        string? target = null, published = null, hostIp = null, protocol = null, mode = null;
        foreach (var (keyNode, v) in map.Entries)
        {
            switch (keyNode.Value)
            {
                case "target": target = Text(v, "ports.target", what); break;
                case "published": published = OptionalText(v, "ports.published", what); break;
                case "host_ip": hostIp = OptionalText(v, "ports.host_ip", what); break;
                case "protocol": protocol = OptionalText(v, "ports.protocol", what); break;
                case "mode": mode = OptionalText(v, "ports.mode", what); break;
                case var k when k!.StartsWith("x-", StringComparison.Ordinal): break;
                default: throw Unknown(keyNode, $"{what}: port", ["target", "published", "host_ip", "protocol", "mode"], ["name", "app_protocol"]);
            }
        }
        if (target is null)
        {
            throw map.Error($"{what}: a port in long syntax needs 'target', the port inside the container");
        }
        if (mode is not (null or "host" or "ingress"))
        {
            throw map.Error($"{what}: port mode '{mode}' is not 'host' or 'ingress'");
        }
        var targetPort = PortNumber(target, map, what);
        var publishedPort = 0;
        if (!string.IsNullOrEmpty(published))
        {
            var (from, to) = PortRange(published, published, map, what);
            publishedPort = from == to ? from : throw map.Error($"{what}: a published port range ('{published}') for one container port is not supported; publish a single port");
        }
        return Port(targetPort, publishedPort, hostIp ?? "", protocol is null ? "tcp" : Protocol(protocol, map, what), mode == "ingress" ? "" : mode ?? "");
    }

    private static PortBinding Port(int target, int published, string hostIp, string protocol, string mode) =>
        new() { Target = (uint)target, Published = (uint)published, HostIp = hostIp, Protocol = protocol, Mode = mode };

    private static string Protocol(string protocol, Node where, string what) =>
        protocol.ToLowerInvariant() is "tcp" or "udp" or "sctp" ? protocol.ToLowerInvariant() : throw where.Error($"{what}: protocol '{protocol}' is not tcp, udp or sctp");

    private static (int From, int To) PortRange(string text, string whole, Node where, string what)
    {
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        var from = PortNumber(dash < 0 ? text : text[..dash], where, what, whole);
        var to = dash < 0 ? from : PortNumber(text[(dash + 1)..], where, what, whole);
        return to >= from ? (from, to) : throw where.Error($"{what}: port range '{text}' ends before it starts");
    }

    private static int PortNumber(string text, Node where, string what, string? whole = null) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and < 65536
            ? n
            : throw where.Error($"{what}: '{text}'{(whole is not null && whole != text ? $" in '{whole}'" : "")} is not a port number (1-65535)");

    private static IEnumerable<string> Expose(Node value, string what)
    {
        var result = new List<string>();
        foreach (var item in StringListNodes(value, "expose", what))
        {
            var text = item.Value!;
            var slash = text.IndexOf('/', StringComparison.Ordinal);
            var protocol = slash < 0 ? "tcp" : Protocol(text[(slash + 1)..], item, what);
            var (from, to) = PortRange(slash < 0 ? text : text[..slash], text, item, what);
            result.AddRange(Enumerable.Range(from, to - from + 1).Select(p => $"{p.ToString(CultureInfo.InvariantCulture)}/{protocol}"));
        }
        return result.Distinct().OrderBy(e => int.Parse(e[..e.IndexOf('/', StringComparison.Ordinal)], CultureInfo.InvariantCulture)).ThenBy(e => e, StringComparer.Ordinal);
    }

    private void ReadMounts(ServiceSpec spec, Node value, string what)
    {
        var mounts = new List<Mount>();
        foreach (var item in Seq(value, "volumes", what).Items)
        {
            var mount = item is MappingNode map ? LongMount(map, what) : ShortMount(Text(item, "volumes", what), item, what);
            if (mounts.Exists(m => m.Target == mount.Target))
            {
                throw item.Error($"{what} mounts two volumes at '{mount.Target}'");
            }
            mounts.Add(mount);
        }
        spec.Mounts.AddRange(mounts.OrderBy(m => m.Target, StringComparer.Ordinal));
    }

    private Mount ShortMount(string text, Node where, string what)
    {
        var parts = text.Split(':');
        if (parts.Length > 3 || parts.Any(p => p.Length == 0))
        {
            throw where.Error($"{what}: volume '{text}' is not [SOURCE:]TARGET[:MODE]");
        }
        if (parts.Length == 1)
        {
            return new Mount { Type = "volume", Target = ContainerPath(parts[0], where, what) };
        }
        var mount = new Mount { Target = ContainerPath(parts[1], where, what) };
        if (parts.Length == 3)
        {
            foreach (var option in parts[2].Split(','))
            {
                switch (option)
                {
                    case "ro": mount.ReadOnly = true; break;
                    case "rw": mount.ReadOnly = false; break;
                    case "z" or "Z": mount.Selinux = option; break;
                    case "nocopy": mount.NoCopy = true; break;
                    case "shared" or "rshared" or "slave" or "rslave" or "private" or "rprivate": mount.Propagation = option; break;
                    case "consistent" or "cached" or "delegated": mount.Consistency = option; break;
                    default: throw where.Error($"{what}: '{option}' in volume '{text}' is not a mount option (ro, rw, z, Z, nocopy, or a propagation such as rprivate)");
                }
            }
        }
        if (IsPath(parts[0]))
        {
            mount.Type = "bind";
            mount.CreateHostPath = true;
            Bind(mount, parts[0], where);
            if (mount.NoCopy)
            {
                throw where.Error($"{what}: 'nocopy' applies to named volumes, not to the bind mount '{text}'");
            }
        }
        else
        {
            mount.Type = "volume";
            mount.Source = VolumeSource(parts[0], where, what);
            if (mount.Selinux.Length > 0 || mount.Propagation.Length > 0)
            {
                throw where.Error($"{what}: SELinux and propagation options apply to bind mounts, not to the volume '{parts[0]}'");
            }
        }
        return mount;
    }

    private Mount LongMount(MappingNode map, string what)
    {
        var mount = new Mount();
        string? source = null;
        MappingNode? bind = null, volume = null, tmpfs = null;
        foreach (var (keyNode, v) in map.Entries)
        {
            if (v is ScalarNode { IsNull: true })
            {
                continue;
            }
            switch (keyNode.Value)
            {
                case "type": mount.Type = Text(v, "volumes.type", what); break;
                case "source": source = Text(v, "volumes.source", what); break;
                case "target": mount.Target = ContainerPath(Text(v, "volumes.target", what), v, what); break;
                case "read_only": mount.ReadOnly = Bool(v, "volumes.read_only", what); break;
                case "consistency": mount.Consistency = Text(v, "volumes.consistency", what); break;
                case "bind": bind = Map(v, "volumes.bind", what); break;
                case "volume": volume = Map(v, "volumes.volume", what); break;
                case "tmpfs": tmpfs = Map(v, "volumes.tmpfs", what); break;
                case var k when k!.StartsWith("x-", StringComparison.Ordinal): break;
                default: throw Unknown(keyNode, $"{what}: volume", ["type", "source", "target", "read_only", "consistency", "bind", "volume", "tmpfs"], ["image"]);
            }
        }
        if (mount.Target.Length == 0)
        {
            throw map.Error($"{what}: a volume in long syntax needs 'target', the path inside the container");
        }
        switch (mount.Type)
        {
            case "bind":
                if (source is null)
                {
                    throw map.Error($"{what}: the bind mount at '{mount.Target}' needs a 'source'");
                }
                Bind(mount, source, map);
                foreach (var (keyNode, v) in bind?.Entries ?? [])
                {
                    switch (keyNode.Value)
                    {
                        case "propagation": mount.Propagation = Text(v, "bind.propagation", what); break;
                        case "create_host_path": mount.CreateHostPath = Bool(v, "bind.create_host_path", what); break;
                        case "selinux": mount.Selinux = Text(v, "bind.selinux", what) is var s && s is "z" or "Z" ? s : throw v.Error($"{what}: bind.selinux must be 'z' or 'Z'"); break;
                        default: throw Unknown(keyNode, $"{what}: bind", ["propagation", "create_host_path", "selinux"], ["recursive"]);
                    }
                }
                break;
            case "volume":
                if (source is not null)
                {
                    mount.Source = VolumeSource(source, map, what);
                }
                foreach (var (keyNode, v) in volume?.Entries ?? [])
                {
                    switch (keyNode.Value)
                    {
                        case "nocopy": mount.NoCopy = Bool(v, "volume.nocopy", what); break;
                        case "subpath": mount.Subpath = Text(v, "volume.subpath", what); break;
                        default: throw Unknown(keyNode, $"{what}: volume", ["nocopy", "subpath"], ["labels"]);
                    }
                }
                break;
            case "tmpfs":
                if (source is not null)
                {
                    throw map.Error($"{what}: a tmpfs mount has no 'source'");
                }
                foreach (var (keyNode, v) in tmpfs?.Entries ?? [])
                {
                    switch (keyNode.Value)
                    {
                        case "size": mount.TmpfsSizeBytes = ParseBytes(Text(v, "tmpfs.size", what), v); break;
                        case "mode": mount.TmpfsMode = ParseMode(Text(v, "tmpfs.mode", what), v); break;
                        default: throw Unknown(keyNode, $"{what}: tmpfs", ["size", "mode"], []);
                    }
                }
                break;
            case "":
                throw map.Error($"{what}: a volume in long syntax needs 'type' (volume, bind or tmpfs)");
            default:
                throw map.Error($"{what}: volume type '{mount.Type}' is not supported; use volume, bind or tmpfs");
        }
        if ((bind is not null && mount.Type != "bind") || (volume is not null && mount.Type != "volume") || (tmpfs is not null && mount.Type != "tmpfs"))
        {
            throw map.Error($"{what}: the mount at '{mount.Target}' is of type '{mount.Type}' but has options for another type");
        }
        return mount;
    }

    private static bool IsPath(string source) => source.StartsWith('.') || source.StartsWith('/') || source.StartsWith('~');

    private static string ContainerPath(string path, Node where, string what) =>
        path.StartsWith('/') ? path : throw where.Error($"{what}: the container path '{path}' must be absolute (start with '/')");

    /// <summary>A bind source: a host path as written, or a repository path made absolute and captured by digest.</summary>
    private void Bind(Mount mount, string source, Node where)
    {
        if (!ProjectFiles.IsRelative(source))
        {
            if (source.StartsWith('~'))
            {
                project.Files.Resolve(source, where, "bind mount source");
            }
            mount.Source = source;
            return;
        }
        var full = project.Files.Resolve(source, where, "bind mount source");
        mount.Source = full;
        if (File.Exists(full))
        {
            mount.ContentDigest = project.Files.Capture(project.Files.Read(full, where, "bind-mounted file"), project.Files.Display(full), where);
        }
        else if (Directory.Exists(full))
        {
            mount.ContentDigest = project.Files.FolderDigest(full, where);
        }
    }

    private string VolumeSource(string name, Node where, string what)
    {
        if (!project.Volumes.TryGetValue(name, out var volume))
        {
            throw where.Error($"{what} uses the volume '{name}', which is not declared under the top-level 'volumes:' (a bind mount must start with '.', '/' or '~')");
        }
        project.UsedVolumes.Add(name);
        return volume.EngineName;
    }

    private void ReadEnvironment(ServiceSpec spec, Node? envFiles, Node? environment, string what)
    {
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (envFiles is not null)
        {
            foreach (var item in envFiles is SequenceNode seq ? seq.Items : [envFiles])
            {
                ReadEnvFile(spec, item, values, what);
            }
        }
        if (environment is not null)
        {
            foreach (var (key, value) in KeyValues(environment, "environment", what, name => project.Lookup(name) ?? Missing(name)))
            {
                if (value is null)
                {
                    values.Remove(key);
                    continue;
                }
                values[key] = value;
            }
        }
        spec.Environment.Add(values);

        string? Missing(string name)
        {
            project.Warn($"{what}: environment variable {name} has no value (set it in the app's variables or .env); it is left out");
            return null;
        }
    }

    private void ReadEnvFile(ServiceSpec spec, Node item, SortedDictionary<string, string> values, string what)
    {
        string path;
        var required = true;
        if (item is MappingNode map)
        {
            path = Text(map["path"] ?? throw map.Error($"{what}: an env_file entry needs 'path'"), "env_file.path", what);
            foreach (var (keyNode, v) in map.Entries)
            {
                switch (keyNode.Value)
                {
                    case "path": break;
                    case "required": required = Bool(v, "env_file.required", what); break;
                    case "format": throw keyNode.Error($"{what}: env_file 'format' is not supported yet; use the default KEY=VALUE format");
                    default: throw Unknown(keyNode, $"{what}: env_file", ["path", "required"], ["format"]);
                }
            }
        }
        else
        {
            path = Text(item, "env_file", what);
        }
        var full = project.Files.Resolve(path, item, "env_file");
        if (!File.Exists(full))
        {
            if (required)
            {
                throw item.Error($"{what}: the env_file '{project.Files.Display(full)}' does not exist (mark it 'required: false' if it is optional)");
            }
            project.Warn($"{what}: the optional env_file '{project.Files.Display(full)}' does not exist");
            return;
        }
        var content = project.Files.Read(full, item, "env_file");
        var display = project.Files.Display(full);
        spec.SourceDigests[display] = ProjectFiles.Digest(content);
        var file = new SourceFile(display, full, Path.GetDirectoryName(full)!);
        foreach (var (key, value) in DotEnv.Parse(Encoding.UTF8.GetString(content), file, project.Lookup, project.Warnings))
        {
            values[key] = value;
        }
    }

    private void ReadNetworks(ServiceSpec spec, Node? value, MappingNode service, string what)
    {
        if (spec.NetworkMode.Length > 0)
        {
            if (value is not null)
            {
                throw service.Error($"{what} sets both 'network_mode' and 'networks'; use one of them");
            }
            var mode = spec.NetworkMode;
            if (!(mode is "host" or "none" or "bridge" || mode.StartsWith("service:", StringComparison.Ordinal) || mode.StartsWith("container:", StringComparison.Ordinal)))
            {
                throw service.Error($"{what}: network_mode '{mode}' is not host, none, bridge, service:NAME or container:NAME");
            }
            return;
        }
        if (value is null)
        {
            UseNetwork("default", service, what);
            return;
        }
        var attachments = new List<NetworkAttachment>();
        foreach (var (keyNode, options) in ComposeMerge.NameMap(value).Entries)
        {
            var attachment = new NetworkAttachment { Name = keyNode.Value ?? "" };
            UseNetwork(attachment.Name, keyNode, what);
            if (options is MappingNode map)
            {
                foreach (var (optionKey, v) in map.Entries)
                {
                    if (v is ScalarNode { IsNull: true })
                    {
                        continue;
                    }
                    switch (optionKey.Value)
                    {
                        case "aliases": attachment.Aliases.AddRange(Sorted(StringList(v, "aliases", what))); break;
                        case "ipv4_address": attachment.Ipv4Address = Text(v, "ipv4_address", what); break;
                        case "ipv6_address": attachment.Ipv6Address = Text(v, "ipv6_address", what); break;
                        case "priority": attachment.Priority = (int)ParseInteger(Text(v, "priority", what), v, int.MinValue, int.MaxValue); break;
                        case "mac_address": attachment.MacAddress = Text(v, "mac_address", what); break;
                        default: throw Unknown(optionKey, $"{what}: network '{attachment.Name}'", ["aliases", "ipv4_address", "ipv6_address", "priority", "mac_address"], ["driver_opts", "gw_priority", "interface_name", "link_local_ips"]);
                    }
                }
            }
            else if (options is not ScalarNode { IsNull: true })
            {
                throw options.Error($"{what}: the options of network '{attachment.Name}' must be a mapping");
            }
            attachments.Add(attachment);
        }
        // Joining only "default" with no options is the same as saying nothing; keep one form so the hash agrees.
        if (attachments is [{ Name: "default" } only] && only.Equals(new NetworkAttachment { Name = "default" }))
        {
            return;
        }
        spec.Networks.AddRange(attachments.OrderBy(a => a.Name, StringComparer.Ordinal));
    }

    private void UseNetwork(string name, Node where, string what)
    {
        if (name != "default" && !project.Networks.ContainsKey(name))
        {
            throw where.Error($"{what} joins the network '{name}', which is not declared under the top-level 'networks:'");
        }
        project.UsedNetworks.Add(name);
    }

    private void ReadDependsOn(ServiceSpec spec, Node value, string what)
    {
        var dependencies = new List<Dependency>();
        foreach (var (keyNode, options) in ComposeMerge.NameMap(value).Entries)
        {
            var dependency = new Dependency { Service = keyNode.Value ?? "", Condition = "service_started", Required = true };
            if (options is MappingNode map)
            {
                foreach (var (optionKey, v) in map.Entries)
                {
                    switch (optionKey.Value)
                    {
                        case "condition":
                            dependency.Condition = Text(v, "condition", what) is var c && c is "service_started" or "service_healthy" or "service_completed_successfully"
                                ? c
                                : throw v.Error($"{what}: depends_on condition '{Text(v, "condition", what)}' is not service_started, service_healthy or service_completed_successfully");
                            break;
                        case "restart": dependency.Restart = Bool(v, "restart", what); break;
                        case "required": dependency.Required = Bool(v, "required", what); break;
                        default: throw Unknown(optionKey, $"{what}: depends_on '{dependency.Service}'", ["condition", "restart", "required"], []);
                    }
                }
            }
            else if (options is not ScalarNode { IsNull: true })
            {
                throw options.Error($"{what}: the options of depends_on '{dependency.Service}' must be a mapping");
            }
            if (dependency.Service == spec.Name)
            {
                throw keyNode.Error($"{what} depends on itself");
            }
            if (!project.ActiveServices.Contains(dependency.Service))
            {
                var reason = project.InactiveServices.TryGetValue(dependency.Service, out var profiles)
                    ? $"which only runs with the profile {string.Join(" or ", profiles.Select(p => $"'{p}'"))}"
                    : "which is not defined";
                if (dependency.Required)
                {
                    throw keyNode.Error($"{what} depends on service '{dependency.Service}', {reason}");
                }
                project.Warn($"{what}: optional dependency '{dependency.Service}' is left out, {reason}");
                continue;
            }
            dependencies.Add(dependency);
        }
        spec.DependsOn.AddRange(dependencies.OrderBy(d => d.Service, StringComparer.Ordinal));
    }

    private static Healthcheck ReadHealthcheck(Node value, string what)
    {
        var check = new Healthcheck();
        foreach (var (keyNode, v) in Map(value, "healthcheck", what).Entries)
        {
            if (v is ScalarNode { IsNull: true })
            {
                continue;
            }
            switch (keyNode.Value)
            {
                case "test":
                    check.Test.AddRange(v is ScalarNode { Value: { } shell } ? ["CMD-SHELL", shell] : StringList(v, "healthcheck.test", what));
                    if (check.Test.Count == 0 || check.Test[0] is not ("CMD" or "CMD-SHELL" or "NONE"))
                    {
                        throw v.Error($"{what}: a healthcheck test list must start with \"CMD\", \"CMD-SHELL\" or \"NONE\"");
                    }
                    break;
                case "interval": check.Interval = ParseDuration(Text(v, "interval", what), v); break;
                case "timeout": check.Timeout = ParseDuration(Text(v, "timeout", what), v); break;
                case "start_period": check.StartPeriod = ParseDuration(Text(v, "start_period", what), v); break;
                case "start_interval": check.StartInterval = ParseDuration(Text(v, "start_interval", what), v); break;
                case "retries": check.Retries = (int)ParseInteger(Text(v, "retries", what), v, 0, int.MaxValue); break;
                case "disable": check.Disable = Bool(v, "disable", what); break;
                default: throw Unknown(keyNode, $"{what}: healthcheck", ["test", "interval", "timeout", "start_period", "start_interval", "retries", "disable"], []);
            }
        }
        // "disable: true" and test ["NONE"] say the same thing; keep one form.
        if (check.Disable || check.Test is ["NONE"])
        {
            return new Healthcheck { Disable = true };
        }
        return check;
    }

    private static string Restart(string text, Node where, string what)
    {
        if (text is "no")
        {
            return "";
        }
        if (text is "always" or "unless-stopped" or "on-failure")
        {
            return text;
        }
        if (text.StartsWith("on-failure:", StringComparison.Ordinal) && int.TryParse(text[11..], NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            return text;
        }
        throw where.Error($"{what}: restart '{text}' is not no, always, on-failure[:N] or unless-stopped");
    }

    private static string PullPolicy(string text, Node where, string what) => text switch
    {
        "always" or "never" or "missing" or "build" or "daily" or "weekly" => text,
        "if_not_present" => "missing",
        _ when text.StartsWith("every_", StringComparison.Ordinal) && ParseDuration(text[6..], where) is not null => text,
        _ => throw where.Error($"{what}: pull_policy '{text}' is not always, never, missing, build, daily, weekly or every_<duration>"),
    };

    private static void ReadDeploy(ServiceSpec spec, Node value, string what)
    {
        foreach (var (keyNode, v) in Map(value, "deploy", what).Entries)
        {
            if (v is ScalarNode { IsNull: true })
            {
                continue;
            }
            switch (keyNode.Value)
            {
                case "replicas": spec.Scale = (int)ParseInteger(Text(v, "deploy.replicas", what), v, 0, 1000); break;
                case "mode":
                    if (Text(v, "deploy.mode", what) != "replicated")
                    {
                        throw v.Error($"{what}: deploy.mode '{Text(v, "deploy.mode", what)}' is not supported; only 'replicated' applies to a single host");
                    }
                    break;
                case "resources": ReadResources(spec, Map(v, "deploy.resources", what), what); break;
                case "restart_policy": spec.Restart = RestartPolicy(Map(v, "deploy.restart_policy", what), what); break;
                case var k when k!.StartsWith("x-", StringComparison.Ordinal): break;
                default: throw Unknown(keyNode, $"{what}: deploy", ["replicas", "mode", "resources", "restart_policy"], ["labels", "placement", "update_config", "rollback_config", "endpoint_mode"]);
            }
        }
    }

    private static void ReadResources(ServiceSpec spec, MappingNode map, string what)
    {
        foreach (var (keyNode, v) in map.Entries)
        {
            if (v is ScalarNode { IsNull: true })
            {
                continue;
            }
            var limits = keyNode.Value == "limits";
            if (!limits && keyNode.Value != "reservations")
            {
                throw Unknown(keyNode, $"{what}: deploy.resources", ["limits", "reservations"], []);
            }
            foreach (var (k, r) in Map(v, $"deploy.resources.{keyNode.Value}", what).Entries)
            {
                switch (k.Value, limits)
                {
                    case ("cpus", true): SetOnce(spec, r, "cpus", x => x.Cpus, (x, n) => x.Cpus = n, ParseCpus(Text(r, "cpus", what), r), what); break;
                    case ("cpus", false): Resources(spec).CpusReservation = ParseCpus(Text(r, "cpus", what), r); break;
                    case ("memory", true): SetOnce(spec, r, "memory", x => x.MemoryBytes, (x, n) => x.MemoryBytes = n, ParseBytes(Text(r, "memory", what), r), what); break;
                    case ("memory", false): SetOnce(spec, r, "memory reservation", x => x.MemoryReservationBytes, (x, n) => x.MemoryReservationBytes = n, ParseBytes(Text(r, "memory", what), r), what); break;
                    case ("pids", true): SetOnce(spec, r, "pids", x => x.PidsLimit, (x, n) => x.PidsLimit = n, ParseInteger(Text(r, "pids", what), r, -1), what); break;
                    default: throw Unknown(k, $"{what}: deploy.resources.{keyNode.Value}", limits ? ["cpus", "memory", "pids"] : ["cpus", "memory"], ["devices", "generic_resources"]);
                }
            }
        }
    }

    private static string RestartPolicy(MappingNode map, string what)
    {
        var condition = "any";
        string? attempts = null;
        foreach (var (keyNode, v) in map.Entries)
        {
            switch (keyNode.Value)
            {
                case "condition": condition = Text(v, "condition", what); break;
                case "max_attempts": attempts = ParseInteger(Text(v, "max_attempts", what), v, 0).ToString(CultureInfo.InvariantCulture); break;
                default: throw Unknown(keyNode, $"{what}: deploy.restart_policy", ["condition", "max_attempts"], ["delay", "window"]);
            }
        }
        return condition switch
        {
            "none" => "",
            "any" => "always",
            "on-failure" => attempts is null or "0" ? "on-failure" : $"on-failure:{attempts}",
            _ => throw map.Error($"{what}: deploy.restart_policy condition '{condition}' is not none, on-failure or any"),
        };
    }

    private static Resources Resources(ServiceSpec spec) => spec.Resources ??= new Resources();

    /// <summary>Old-style fields and deploy.resources may both say a value; they must agree.</summary>
    private static void SetOnce<T>(ServiceSpec spec, Node where, string name, Func<Resources, T> get, Action<Resources, T> set, T value, string what)
        where T : struct, IEquatable<T>
    {
        var resources = Resources(spec);
        var current = get(resources);
        if (!current.Equals(default) && !current.Equals(value))
        {
            throw where.Error($"{what} sets its {name} limit twice with different values (an old-style field and deploy.resources); keep one");
        }
        set(resources, value);
    }

    private static void ReadDevices(ServiceSpec spec, Node value, string what)
    {
        var devices = new List<DeviceMapping>();
        foreach (var item in Seq(value, "devices", what).Items)
        {
            DeviceMapping device;
            if (item is MappingNode map)
            {
                device = new DeviceMapping { Permissions = "rwm" };
                foreach (var (keyNode, v) in map.Entries)
                {
                    switch (keyNode.Value)
                    {
                        case "source": device.HostPath = Text(v, "source", what); break;
                        case "target": device.ContainerPath = Text(v, "target", what); break;
                        case "permissions": device.Permissions = Text(v, "permissions", what); break;
                        default: throw Unknown(keyNode, $"{what}: device", ["source", "target", "permissions"], []);
                    }
                }
                if (device.ContainerPath.Length == 0)
                {
                    device.ContainerPath = device.HostPath;
                }
            }
            else
            {
                var parts = Text(item, "devices", what).Split(':');
                if (parts.Length > 3 || parts.Any(p => p.Length == 0))
                {
                    throw item.Error($"{what}: device '{string.Join(':', parts)}' is not HOST_PATH[:CONTAINER_PATH[:PERMISSIONS]]");
                }
                device = new DeviceMapping
                {
                    HostPath = parts[0],
                    ContainerPath = parts.Length > 1 ? parts[1] : parts[0],
                    Permissions = parts.Length > 2 ? parts[2] : "rwm",
                };
            }
            if (!device.HostPath.StartsWith('/') || !device.ContainerPath.StartsWith('/'))
            {
                throw item.Error($"{what}: device paths must be absolute, e.g. /dev/ttyUSB0");
            }
            devices.Add(device);
        }
        spec.Devices.AddRange(devices.OrderBy(d => d.ContainerPath, StringComparer.Ordinal));
    }

    private static List<string> ExtraHosts(Node value, string what)
    {
        var hosts = new List<string>();
        foreach (var (key, ip) in KeyValues(value, "extra_hosts", what, k => throw value.Error($"{what}: extra_hosts entry '{k}' has no address; write HOST:IP")))
        {
            var address = ip!.Trim();
            if (address.StartsWith('[') && address.EndsWith(']'))
            {
                address = address[1..^1];
            }
            hosts.Add($"{key}:{address}");
        }
        return Sorted(hosts);
    }

    private static void ReadUlimits(ServiceSpec spec, Node value, string what)
    {
        foreach (var (keyNode, v) in Map(value, "ulimits", what).Entries.OrderBy(e => e.Key.Value, StringComparer.Ordinal))
        {
            var name = keyNode.Value ?? "";
            if (v is MappingNode map)
            {
                var limit = new Ulimit();
                foreach (var (k, n) in map.Entries)
                {
                    switch (k.Value)
                    {
                        case "soft": limit.Soft = ParseInteger(Text(n, "soft", what), n, -1); break;
                        case "hard": limit.Hard = ParseInteger(Text(n, "hard", what), n, -1); break;
                        default: throw Unknown(k, $"{what}: ulimit '{name}'", ["soft", "hard"], []);
                    }
                }
                if (!map.Contains("soft") || !map.Contains("hard"))
                {
                    throw map.Error($"{what}: ulimit '{name}' needs both 'soft' and 'hard' (or a single number for both)");
                }
                spec.Ulimits[name] = limit;
            }
            else
            {
                var n = ParseInteger(Text(v, $"ulimits.{name}", what), v, -1);
                spec.Ulimits[name] = new Ulimit { Soft = n, Hard = n };
            }
        }
    }

    private static Logging ReadLogging(Node value, string what)
    {
        var logging = new Logging();
        foreach (var (keyNode, v) in Map(value, "logging", what).Entries)
        {
            switch (keyNode.Value)
            {
                case "driver": logging.Driver = Text(v, "logging.driver", what); break;
                case "options": AddSorted(logging.Options, KeyValues(v, "logging.options", what, _ => "")); break;
                default: throw Unknown(keyNode, $"{what}: logging", ["driver", "options"], []);
            }
        }
        return logging;
    }

    private IEnumerable<FileMount> FileMounts(Node value, Dictionary<string, FileDefinition> definitions, string kind, string what)
    {
        var mounts = new List<FileMount>();
        foreach (var item in Seq(value, kind + "s", what).Items)
        {
            var mount = new FileMount();
            if (item is MappingNode map)
            {
                foreach (var (keyNode, v) in map.Entries)
                {
                    switch (keyNode.Value)
                    {
                        case "source": mount.Source = Text(v, "source", what); break;
                        case "target": mount.Target = Text(v, "target", what); break;
                        case "uid": mount.Uid = Text(v, "uid", what); break;
                        case "gid": mount.Gid = Text(v, "gid", what); break;
                        case "mode": mount.Mode = ParseMode(Text(v, "mode", what), v); break;
                        default: throw Unknown(keyNode, $"{what}: {kind}", ["source", "target", "uid", "gid", "mode"], []);
                    }
                }
                if (mount.Source.Length == 0)
                {
                    throw map.Error($"{what}: a {kind} in long syntax needs 'source'");
                }
            }
            else
            {
                mount.Source = Text(item, kind + "s", what);
            }
            if (!definitions.TryGetValue(mount.Source, out var definition))
            {
                throw item.Error($"{what} uses the {kind} '{mount.Source}', which is not declared under the top-level '{kind}s:'");
            }
            mount.Target = kind == "secret"
                ? mount.Target.StartsWith('/') ? mount.Target : "/run/secrets/" + (mount.Target.Length > 0 ? mount.Target : mount.Source)
                : mount.Target.Length > 0 ? mount.Target : "/" + mount.Source;
            if (definition.External)
            {
                mount.External = true;
            }
            else
            {
                mount.ContentDigest = project.Files.Capture(definition.Content!, definition.Origin, definition.Where);
            }
            if (mounts.Exists(m => m.Target == mount.Target))
            {
                throw item.Error($"{what} mounts two {kind}s at '{mount.Target}'");
            }
            mounts.Add(mount);
        }
        return mounts.OrderBy(m => m.Target, StringComparer.Ordinal);
    }

    private static void AddSorted(Google.Protobuf.Collections.MapField<string, string> target, IEnumerable<KeyValuePair<string, string?>> values)
    {
        foreach (var (key, value) in values.Where(v => v.Value is not null).OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            target[key] = value!;
        }
    }

    private static List<string> Sorted(IEnumerable<string> values) => [.. values.Distinct().Order(StringComparer.Ordinal)];
}
