using ConOps.Contract;
using static ConOps.Console.Compose.ComposeValues;
using static ConOps.Console.Compose.NodeReading;

namespace ConOps.Console.Compose;

/// <summary>Networks, network_mode, depends_on and extra_hosts.</summary>
internal sealed partial class ServiceReader
{
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
}
