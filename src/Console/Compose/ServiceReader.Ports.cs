using System.Globalization;
using ConOps.Contract;
using static ConOps.Console.Compose.NodeReading;

namespace ConOps.Console.Compose;

/// <summary>Ports and exposed ports: every short form, ranges expanded, and the long syntax.</summary>
internal sealed partial class ServiceReader
{
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
}
