using System.Globalization;
using ConOps.Contract;
using static ConOps.Console.Compose.ComposeValues;
using static ConOps.Console.Compose.NodeReading;

namespace ConOps.Console.Compose;

/// <summary>
/// Normalizes one merged service definition into the contract's <see cref="ServiceSpec"/>: short and long
/// syntax to one form, defaults filled in, order-free lists sorted, paths absolute, file contents by digest.
/// </summary>
internal sealed partial class ServiceReader(ProjectModel project)
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

    private static void AddSorted(Google.Protobuf.Collections.MapField<string, string> target, IEnumerable<KeyValuePair<string, string?>> values)
    {
        foreach (var (key, value) in values.Where(v => v.Value is not null).OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            target[key] = value!;
        }
    }

    private static List<string> Sorted(IEnumerable<string> values) => [.. values.Distinct().Order(StringComparer.Ordinal)];
}
