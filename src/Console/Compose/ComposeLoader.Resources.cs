using System.Text;
using ConOps.Contract;
using static ConOps.Console.Compose.NodeReading;

namespace ConOps.Console.Compose;

public static partial class ComposeLoader
{
    /// <summary>Top-level networks, volumes, configs and secrets.</summary>
    private sealed partial class Loading
    {
        private static void ReadNetworks(ProjectModel project, Node? section)
        {
            if (section is null)
            {
                return;
            }
            foreach (var (key, value) in Map(section, "networks", "the project").Entries)
            {
                var name = key.Value!;
                var what = $"network '{name}'";
                var network = new NetworkSpec { Name = name };
                string? engineName = null;
                foreach (var (k, v) in Map(value, name, what).Entries)
                {
                    if (v is ScalarNode { IsNull: true })
                    {
                        continue;
                    }
                    switch (k.Value)
                    {
                        case "name": engineName = Text(v, "name", what); break;
                        case "driver": network.Driver = Text(v, "driver", what); break;
                        case "driver_opts": AddMap(network.DriverOpts, v, "driver_opts", what); break;
                        case "external": engineName ??= External(v, what, n => network.External = n); break;
                        case "internal": network.Internal = Bool(v, "internal", what); break;
                        case "attachable": network.Attachable = Bool(v, "attachable", what); break;
                        case "enable_ipv6": network.EnableIpv6 = Bool(v, "enable_ipv6", what); break;
                        case "labels": AddMap(network.Labels, v, "labels", what); break;
                        case "ipam": ReadIpam(network, Map(v, "ipam", what), what); break;
                        case var x when x!.StartsWith("x-", StringComparison.Ordinal): break;
                        default: throw Unknown(k, what, ["name", "driver", "driver_opts", "external", "internal", "attachable", "enable_ipv6", "labels", "ipam"], ["enable_ipv4"]);
                    }
                }
                network.EngineName = engineName ?? (network.External ? name : $"{project.Name}_{name}");
                project.Networks[name] = network;
            }
        }

        private static void ReadIpam(NetworkSpec network, MappingNode ipam, string what)
        {
            foreach (var (k, v) in ipam.Entries)
            {
                switch (k.Value)
                {
                    case "driver" when Text(v, "ipam.driver", what) == "default": break;
                    case "driver": throw v.Error($"{what}: only the default IPAM driver is supported");
                    case "config":
                        foreach (var entry in Seq(v, "ipam.config", what).Items)
                        {
                            foreach (var (ck, cv) in Map(entry, "ipam.config", what).Entries)
                            {
                                if (ck.Value != "subnet")
                                {
                                    throw Unknown(ck, $"{what}: ipam.config", ["subnet"], ["ip_range", "gateway", "aux_addresses"]);
                                }
                                network.Subnets.Add(Text(cv, "subnet", what));
                            }
                        }
                        break;
                    default: throw Unknown(k, $"{what}: ipam", ["driver", "config"], ["options"]);
                }
            }
        }

        private static void ReadVolumes(ProjectModel project, Node? section)
        {
            if (section is null)
            {
                return;
            }
            foreach (var (key, value) in Map(section, "volumes", "the project").Entries)
            {
                var name = key.Value!;
                var what = $"volume '{name}'";
                var volume = new VolumeSpec { Name = name };
                string? engineName = null;
                foreach (var (k, v) in Map(value, name, what).Entries)
                {
                    if (v is ScalarNode { IsNull: true })
                    {
                        continue;
                    }
                    switch (k.Value)
                    {
                        case "name": engineName = Text(v, "name", what); break;
                        case "driver": volume.Driver = Text(v, "driver", what); break;
                        case "driver_opts": AddMap(volume.DriverOpts, v, "driver_opts", what); break;
                        case "external": engineName ??= External(v, what, n => volume.External = n); break;
                        case "labels": AddMap(volume.Labels, v, "labels", what); break;
                        case var x when x!.StartsWith("x-", StringComparison.Ordinal): break;
                        default: throw Unknown(k, what, ["name", "driver", "driver_opts", "external", "labels"], []);
                    }
                }
                volume.EngineName = engineName ?? (volume.External ? name : $"{project.Name}_{name}");
                project.Volumes[name] = volume;
            }
        }

        /// <summary><c>external: true</c>, or the legacy <c>external: {name: x}</c> that also names the resource.</summary>
        private static string? External(Node value, string what, Action<bool> set)
        {
            if (value is MappingNode map)
            {
                set(true);
                return map["name"] is { } n ? Text(n, "external.name", what) : null;
            }
            set(Bool(value, "external", what));
            return null;
        }

        private void ReadFileDefinitions(Dictionary<string, FileDefinition> definitions, Node? section, string kind)
        {
            if (section is null)
            {
                return;
            }
            foreach (var (key, value) in Map(section, kind + "s", "the project").Entries)
            {
                var name = key.Value!;
                var what = $"{kind} '{name}'";
                var map = Map(value, name, what);
                FileDefinition? definition = null;
                foreach (var (k, v) in map.Entries)
                {
                    FileDefinition? source = k.Value switch
                    {
                        "file" => FromFile(name, v, what),
                        "content" => new FileDefinition(name, false, Encoding.UTF8.GetBytes(Text(v, "content", what)), $"{kind}s.{name} (inline content)", v),
                        "environment" => FromVariable(name, kind, v, what),
                        "external" => Bool(v, "external", what) ? new FileDefinition(name, true, null, $"{kind}s.{name} (external)", v) : null,
                        "name" => null,
                        var x when x!.StartsWith("x-", StringComparison.Ordinal) => null,
                        _ => throw Unknown(k, what, ["file", "content", "environment", "external", "name"], ["driver", "driver_opts", "labels", "template_driver"]),
                    };
                    if (source is not null && definition is not null)
                    {
                        throw k.Error($"{what} takes its content from more than one of 'file', 'content', 'environment' and 'external'; keep one");
                    }
                    definition ??= source;
                }
                definitions[name] = definition ?? throw map.Error($"{what} needs one of 'file', 'content', 'environment' or 'external: true'");
            }
        }

        private FileDefinition FromFile(string name, Node value, string what)
        {
            var full = _files.Resolve(Text(value, "file", what), value, $"file of {what}");
            return new FileDefinition(name, false, _files.Read(full, value, $"file of {what}"), _files.Display(full), value);
        }

        private FileDefinition FromVariable(string name, string kind, Node value, string what)
        {
            var variable = Text(value, "environment", what);
            var content = _lookup(variable) ?? throw value.Error($"{what} takes its content from the variable {variable}, which is not set");
            return new FileDefinition(name, false, Encoding.UTF8.GetBytes(content), $"{kind}s.{name} (variable {variable})", value);
        }

        private static void AddMap(Google.Protobuf.Collections.MapField<string, string> target, Node value, string field, string what)
        {
            foreach (var (key, text) in KeyValues(value, field, what, _ => "").OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                target[key] = text!;
            }
        }
    }
}
