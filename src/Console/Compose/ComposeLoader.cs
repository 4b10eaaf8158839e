using System.Globalization;
using ConOps.Contract;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ConOps.Console.Compose;

/// <summary>
/// Reads compose files into the contract's model. Unknown keys are errors, never silently dropped:
/// a field ConOps does not apply must not look applied.
/// </summary>
public static class ComposeLoader
{
    public const int MaxFileBytes = 1024 * 1024;

    private static readonly HashSet<string> ServiceKeys = ["image", "command", "environment", "ports", "labels", "restart"];

    public static ComposeProject Load(ComposeLoadRequest request)
    {
        var file = request.Files.Count > 0 ? request.Files[0] : "compose.yaml";
        var path = Path.Combine(request.ProjectDirectory, file);
        if (!File.Exists(path))
        {
            throw new ComposeException($"compose file '{file}' not found in the app folder");
        }
        if (new FileInfo(path).Length > MaxFileBytes)
        {
            throw new ComposeException($"file is larger than {MaxFileBytes / 1024} KiB", file);
        }

        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlException ex)
        {
            throw new ComposeException(ex.InnerException?.Message ?? ex.Message, file, (int)ex.Start.Line, (int)ex.Start.Column);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new ComposeException("the file must be a mapping with a 'services' key", file, 1, 1);
        }
        if (!root.Children.TryGetValue("services", out var servicesNode) || servicesNode is not YamlMappingNode services)
        {
            throw new ComposeException("'services' is missing or is not a mapping", file, (int)root.Start.Line, (int)root.Start.Column);
        }

        var result = new List<ComposeService>();
        foreach (var (nameNode, body) in services.Children)
        {
            var name = Scalar(nameNode, file);
            if (body is not YamlMappingNode serviceMap)
            {
                throw Error(body, file, $"service '{name}' must be a mapping");
            }
            result.Add(ComposeService.From(ReadService(name, serviceMap, file)));
        }
        return new ComposeProject(request.ProjectName, [.. result.OrderBy(s => s.Spec.Name, StringComparer.Ordinal)], []);
    }

    private static ServiceSpec ReadService(string name, YamlMappingNode map, string file)
    {
        var spec = new ServiceSpec { Name = name };
        foreach (var (keyNode, value) in map.Children)
        {
            var key = Scalar(keyNode, file);
            if (!ServiceKeys.Contains(key))
            {
                throw Error(keyNode, file, $"service '{name}': unknown or unsupported field '{key}'");
            }
            switch (key)
            {
                case "image": spec.Image = Scalar(value, file); break;
                case "restart": spec.Restart = Scalar(value, file); break;
                case "command": spec.Command.AddRange(StringOrList(value, file)); break;
                case "environment": spec.Environment.Add(MapOrList(value, file)); break;
                case "labels": spec.Labels.Add(MapOrList(value, file)); break;
                case "ports":
                    foreach (var port in Sequence(value, file))
                    {
                        spec.Ports.Add(ParsePort(Scalar(port, file), port, file));
                    }
                    break;
            }
        }
        if (string.IsNullOrEmpty(spec.Image))
        {
            throw Error(map, file, $"service '{name}' has no image");
        }
        return spec;
    }

    private static PortBinding ParsePort(string text, YamlNode node, string file)
    {
        var protocol = "tcp";
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            protocol = text[(slash + 1)..];
            text = text[..slash];
        }
        var parts = text.Split(':');
        uint Port(string p) => uint.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and < 65536
            ? n : throw Error(node, file, $"invalid port '{p}' in '{text}'");
        return parts.Length switch
        {
            1 => new PortBinding { Target = Port(parts[0]), Protocol = protocol },
            2 => new PortBinding { Published = Port(parts[0]), Target = Port(parts[1]), Protocol = protocol },
            3 => new PortBinding { HostIp = parts[0], Published = Port(parts[1]), Target = Port(parts[2]), Protocol = protocol },
            _ => throw Error(node, file, $"invalid port mapping '{text}'"),
        };
    }

    private static Dictionary<string, string> MapOrList(YamlNode node, string file)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (k, v) in map.Children)
                {
                    result[Scalar(k, file)] = v is YamlScalarNode { Value: null } ? "" : Scalar(v, file);
                }
                break;
            case YamlSequenceNode list:
                foreach (var item in list)
                {
                    var entry = Scalar(item, file);
                    var eq = entry.IndexOf('=', StringComparison.Ordinal);
                    result[eq < 0 ? entry : entry[..eq]] = eq < 0 ? "" : entry[(eq + 1)..];
                }
                break;
            default:
                throw Error(node, file, "expected a mapping or a list");
        }
        return result;
    }

    private static IEnumerable<string> StringOrList(YamlNode node, string file) => node switch
    {
        YamlSequenceNode list => list.Select(i => Scalar(i, file)),
        YamlScalarNode scalar => (scalar.Value ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries),
        _ => throw Error(node, file, "expected a string or a list"),
    };

    private static YamlSequenceNode Sequence(YamlNode node, string file) =>
        node as YamlSequenceNode ?? throw Error(node, file, "expected a list");

    private static string Scalar(YamlNode node, string file) =>
        node is YamlScalarNode scalar ? scalar.Value ?? "" : throw Error(node, file, "expected a single value");

    private static ComposeException Error(YamlNode node, string file, string message) =>
        new(message, file, (int)node.Start.Line, (int)node.Start.Column);
}
