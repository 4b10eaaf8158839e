using System.Globalization;
using ConOps.Contract;
using static ConOps.Console.Compose.ComposeValues;
using static ConOps.Console.Compose.NodeReading;

namespace ConOps.Console.Compose;

/// <summary>Health checks, deploy and resource limits, devices, ulimits and logging.</summary>
internal sealed partial class ServiceReader
{
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
}
