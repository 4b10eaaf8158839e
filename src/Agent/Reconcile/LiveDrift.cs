using System.Globalization;
using ConOps.Agent.Docker;

namespace ConOps.Agent.Reconcile;

/// <summary>
/// Compares the fields ConOps controls on a live (inspected) container with the create request it would send
/// for the desired spec, and names those that differ: changes made by hand behind the config-hash label
/// (<c>docker update</c>, a container recreated outside ConOps). Pure.
/// </summary>
/// <remarks>
/// Only what ConOps sets counts: a field the spec leaves to the engine's default is compared only where that
/// default is fixed (restart policy, memory and CPU limits); engine-added labels, image environment and
/// anonymous volumes never count. That is what keeps a converged host free of phantom drift.
/// </remarks>
public static class LiveDrift
{
    public static LiveDriftFindings Compare(ContainerCreateRequest desired, IReadOnlyCollection<string> desiredNetworks, ContainerInspectResponse live, ImageInspectResponse? image, string desiredDigest)
    {
        var drift = new Findings();
        var config = live.Config ?? new ContainerConfig();
        var host = live.HostConfig ?? new HostConfig();
        var want = desired.HostConfig ?? new HostConfig();

        if (!string.Equals(config.Image, desired.Image, StringComparison.Ordinal))
        {
            drift.Add("image", config.Image ?? "");
        }
        else if (!string.IsNullOrEmpty(desiredDigest) && image?.RepoDigests is { Count: > 0 } digests
                 && !digests.Any(d => d.EndsWith("@" + desiredDigest, StringComparison.Ordinal)))
        {
            drift.Add("image digest", string.Join(", ", digests));
        }

        if (EnvironmentDifferences(desired.Env ?? [], config.Env ?? [], image?.Config?.Env ?? []) is { Count: > 0 } variables)
        {
            drift.Add("environment", string.Join(", ", variables)); // names only: values may be secrets
        }
        if (desired.Cmd is not null && !Same(desired.Cmd, config.Cmd))
        {
            drift.Add("command", Words(config.Cmd));
        }
        if (desired.Entrypoint is not null && !Same(desired.Entrypoint, config.Entrypoint))
        {
            drift.Add("entrypoint", Words(config.Entrypoint));
        }
        var liveLabels = config.Labels ?? new Dictionary<string, string>();
        var labels = (desired.Labels ?? new Dictionary<string, string>())
            .Where(l => !IdentityLabels.Contains(l.Key) && (!liveLabels.TryGetValue(l.Key, out var v) || v != l.Value))
            .Select(l => l.Key)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (labels.Count > 0)
        {
            drift.Add("labels", string.Join(", ", labels)); // names only
        }

        if (Restart(want.RestartPolicy) != Restart(host.RestartPolicy))
        {
            drift.Add("restart", Restart(host.RestartPolicy));
        }
        if (want.Memory != host.Memory)
        {
            drift.Add("resources.memory", Number(host.Memory));
        }
        if (want.NanoCpus != host.NanoCpus)
        {
            drift.Add("resources.cpus", (host.NanoCpus / 1e9).ToString(CultureInfo.InvariantCulture));
        }
        if (want.MemoryReservation != host.MemoryReservation)
        {
            drift.Add("resources.memory_reservation", Number(host.MemoryReservation));
        }
        if (want.MemorySwap != 0 && want.MemorySwap != host.MemorySwap)
        {
            drift.Add("resources.memswap", Number(host.MemorySwap));
        }
        if ((want.PidsLimit ?? 0) > 0 != (host.PidsLimit ?? 0) > 0 || ((want.PidsLimit ?? 0) > 0 && want.PidsLimit != host.PidsLimit))
        {
            drift.Add("resources.pids_limit", Number(host.PidsLimit ?? 0));
        }
        if (want.CpuShares != host.CpuShares)
        {
            drift.Add("resources.cpu_shares", Number(host.CpuShares));
        }
        if ((want.CpusetCpus ?? "") != (host.CpusetCpus ?? ""))
        {
            drift.Add("resources.cpuset", host.CpusetCpus ?? "");
        }

        var livePorts = PortsSet(host.PortBindings);
        if (!PortsSet(want.PortBindings).SetEquals(livePorts))
        {
            drift.Add("ports", Sorted(livePorts));
        }
        var liveMounts = LiveMounts(live.Mounts);
        if (!DesiredMounts(want).SetEquals(liveMounts))
        {
            drift.Add("mounts", Sorted(liveMounts));
        }
        if (desiredNetworks.Count > 0)
        {
            IReadOnlyCollection<string> liveNetworks = live.NetworkSettings?.Networks?.Keys ?? (IReadOnlyCollection<string>)[];
            if (!desiredNetworks.ToHashSet(StringComparer.Ordinal).SetEquals(liveNetworks))
            {
                drift.Add("networks", Sorted(liveNetworks));
            }
        }
        else if (want.NetworkMode is { Length: > 0 } mode
                 && !mode.StartsWith("container:", StringComparison.Ordinal) && mode != host.NetworkMode)
        {
            drift.Add("network_mode", host.NetworkMode ?? "");
        }

        Check(drift, "user", desired.User, config.User);
        Check(drift, "working_dir", desired.WorkingDir, config.WorkingDir);
        Check(drift, "hostname", desired.Hostname, config.Hostname);
        Check(drift, "domainname", desired.Domainname, config.Domainname);
        Check(drift, "stop_signal", desired.StopSignal, config.StopSignal);
        Check(drift, "pid", want.PidMode, host.PidMode);
        if (desired.StopTimeout is { } grace && grace != config.StopTimeout)
        {
            drift.Add("stop_grace_period", config.StopTimeout is { } liveGrace ? $"{liveGrace.ToString(CultureInfo.InvariantCulture)}s" : "");
        }
        if (want.Privileged != host.Privileged)
        {
            drift.Add("privileged", Flag(host.Privileged));
        }
        if (desired.Tty != config.Tty)
        {
            drift.Add("tty", Flag(config.Tty));
        }
        if (want.ReadonlyRootfs != host.ReadonlyRootfs)
        {
            drift.Add("read_only", Flag(host.ReadonlyRootfs));
        }
        if (want.Init is { } init && init != (host.Init ?? false))
        {
            drift.Add("init", Flag(host.Init ?? false));
        }
        if (want.ShmSize != 0 && want.ShmSize != host.ShmSize)
        {
            drift.Add("shm_size", Number(host.ShmSize));
        }
        if (want.IpcMode is { Length: > 0 } ipc && ipc != host.IpcMode)
        {
            drift.Add("ipc", host.IpcMode ?? "");
        }
        CheckSet(drift, "cap_add", want.CapAdd, host.CapAdd);
        CheckSet(drift, "cap_drop", want.CapDrop, host.CapDrop);
        CheckSet(drift, "security_opt", want.SecurityOpt, host.SecurityOpt);
        CheckSet(drift, "dns", want.Dns, host.Dns);
        CheckSet(drift, "dns_search", want.DnsSearch, host.DnsSearch);
        CheckSet(drift, "extra_hosts", want.ExtraHosts, host.ExtraHosts);
        CheckSet(drift, "group_add", want.GroupAdd, host.GroupAdd);
        CheckSet(drift, "devices", want.Devices?.Select(d => $"{d.PathOnHost}:{d.PathInContainer}:{d.CgroupPermissions}").ToList(),
            host.Devices?.Select(d => $"{d.PathOnHost}:{d.PathInContainer}:{d.CgroupPermissions}").ToList());
        CheckSet(drift, "ulimits", want.Ulimits?.Select(u => $"{u.Name}={u.Soft}:{u.Hard}").ToList(),
            host.Ulimits?.Select(u => $"{u.Name}={u.Soft}:{u.Hard}").ToList());
        if (want.Sysctls is { Count: > 0 } sysctls && sysctls.Any(s => host.Sysctls is null || !host.Sysctls.TryGetValue(s.Key, out var v) || v != s.Value))
        {
            drift.Add("sysctls", Sorted((host.Sysctls ?? new Dictionary<string, string>()).Select(s => $"{s.Key}={s.Value}")));
        }
        if (want.LogConfig is { } log && (log.Type != host.LogConfig?.Type
            || (log.Config ?? new Dictionary<string, string>()).Any(o => host.LogConfig?.Config is null || !host.LogConfig.Config.TryGetValue(o.Key, out var v) || v != o.Value)))
        {
            // The driver and the names of its options: option values may be tokens (splunk-token, ...).
            var options = host.LogConfig?.Config?.Keys.Order(StringComparer.Ordinal).ToList() ?? [];
            drift.Add("logging", (host.LogConfig?.Type ?? "") + (options.Count > 0 ? $" ({string.Join(", ", options)})" : ""));
        }
        if (desired.Healthcheck is { } health && !Same(health.Test, config.Healthcheck?.Test))
        {
            drift.Add("healthcheck", Words(config.Healthcheck?.Test));
        }
        return new LiveDriftFindings(drift.Fields, drift.Values);
    }

    /// <summary>
    /// Labels that say which configuration, commit and replica a container was created from, not how it runs:
    /// the plan compares those (hash, replica number); a new commit that leaves a service alone must not make
    /// its container "drift".
    /// </summary>
    private static readonly HashSet<string> IdentityLabels =
    [
        Docker.ManagedLabels.ConfigHash, Docker.ManagedLabels.ConfigInputs, Docker.ManagedLabels.Revision,
        Docker.ManagedLabels.ComposeConfigHash, Docker.ManagedLabels.ComposeContainerNumber,
        Docker.ManagedLabels.ComposeWorkingDir, Docker.ManagedLabels.ComposeConfigFiles,
    ];

    /// <summary>
    /// The names of variables that are not as desired: a desired one missing or different, or one present that
    /// neither the spec nor the image sets. Empty when the environment matches.
    /// </summary>
    private static List<string> EnvironmentDifferences(IList<string> desired, IList<string> live, IList<string> fromImage)
    {
        var liveSet = live.ToHashSet(StringComparer.Ordinal);
        var allowed = desired.Concat(fromImage).ToHashSet(StringComparer.Ordinal);
        return desired.Where(v => !liveSet.Contains(v))
            .Concat(live.Where(v => !allowed.Contains(v)))
            .Select(v => v.Split('=', 2)[0])
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Flag(bool value) => value ? "true" : "false";

    private static string Words(IList<string>? words) => words is null ? "" : System.Text.Json.JsonSerializer.Serialize(words, LiveDriftJson.Default.IListString);

    private static string Sorted(IEnumerable<string> values) => string.Join(", ", values.Order(StringComparer.Ordinal));

    /// <summary>Drifted fields in the order found, and the live value of each.</summary>
    private sealed class Findings
    {
        public List<string> Fields { get; } = [];

        public Dictionary<string, string> Values { get; } = new(StringComparer.Ordinal);

        public void Add(string field, string liveValue)
        {
            Fields.Add(field);
            Values[field] = liveValue;
        }
    }

    private static string Restart(RestartPolicy? policy) => policy?.Name switch
    {
        null or "" or "no" => "no",
        "on-failure" => "on-failure:" + policy.MaximumRetryCount.ToString(CultureInfo.InvariantCulture),
        var name => name,
    };

    private static HashSet<string> PortsSet(IDictionary<string, List<HostPortBinding>>? bindings) =>
        (bindings ?? new Dictionary<string, List<HostPortBinding>>())
        .SelectMany(b => (b.Value ?? []).Select(p => $"{b.Key}->{p.HostIp ?? ""}:{p.HostPort ?? ""}"))
        .ToHashSet(StringComparer.Ordinal);

    private static HashSet<string> DesiredMounts(HostConfig want)
    {
        var set = (want.Mounts ?? [])
            .Where(m => m.Type != "tmpfs")
            .Select(m => $"{m.Type}|{m.Source}|{m.Target}|{(m.ReadOnly ? "ro" : "rw")}")
            .ToHashSet(StringComparer.Ordinal);
        foreach (var bind in want.Binds ?? [])
        {
            var parts = bind.Split(':');
            set.Add($"bind|{parts[0]}|{parts[1]}|{(parts.Length > 2 && parts[2].Split(',').Contains("ro") ? "ro" : "rw")}");
        }
        return set;
    }

    /// <summary>Live mounts, minus anonymous volumes the image declares (the engine adds those itself).</summary>
    private static HashSet<string> LiveMounts(IList<MountPoint>? mounts) =>
        (mounts ?? [])
        .Where(m => m.Type != "tmpfs")
        .Where(m => !(m.Type == "volume" && m.Name is { Length: 64 } name && name.All(char.IsAsciiHexDigitLower)))
        .Select(m => $"{m.Type}|{(m.Type == "volume" ? m.Name : m.Source)}|{m.Destination}|{(m.RW ? "rw" : "ro")}")
        .ToHashSet(StringComparer.Ordinal);

    private static void Check(Findings drift, string field, string? desired, string? live)
    {
        if (!string.IsNullOrEmpty(desired) && desired != live)
        {
            drift.Add(field, live ?? "");
        }
    }

    private static void CheckSet(Findings drift, string field, IList<string>? desired, IList<string>? live)
    {
        var want = (desired ?? []).ToHashSet(StringComparer.Ordinal);
        var have = (live ?? []).ToHashSet(StringComparer.Ordinal);
        if (!want.SetEquals(have))
        {
            drift.Add(field, Sorted(have));
        }
    }

    private static bool Same(IList<string>? a, IList<string>? b) => (a ?? []).SequenceEqual(b ?? [], StringComparer.Ordinal);
}

/// <summary>
/// What live drift found: the fields ConOps controls that differ, and for each the value the live container has
/// (for environment and labels only the names of the keys that differ, never their values).
/// </summary>
public sealed record LiveDriftFindings(IReadOnlyList<string> Fields, IReadOnlyDictionary<string, string> LiveValues)
{
    public static readonly LiveDriftFindings None = new([], new Dictionary<string, string>());
}

[System.Text.Json.Serialization.JsonSerializable(typeof(IList<string>))]
internal sealed partial class LiveDriftJson : System.Text.Json.Serialization.JsonSerializerContext;
