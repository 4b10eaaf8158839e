namespace ConOps.Console.Compose;

/// <summary>
/// The compose merge rules, used for override files and for <c>extends</c>: mappings merge key by key;
/// <c>environment</c>, <c>labels</c> and the other list-or-mapping fields merge by name; <c>ports</c>,
/// <c>volumes</c>, <c>secrets</c>, <c>configs</c> and <c>devices</c> merge by target; <c>command</c>,
/// <c>entrypoint</c> and <c>healthcheck.test</c> are replaced; other lists are appended without duplicates.
/// <c>!reset</c> removes a value and <c>!override</c> replaces it whole.
/// </summary>
internal static class ComposeMerge
{
    private static readonly HashSet<string> Sections = ["services", "networks", "volumes", "configs", "secrets"];

    private static readonly string[] PortKeyFields = ["host_ip", "published", "target", "protocol"];

    private static readonly HashSet<string> Replaced = ["command", "entrypoint", "healthcheck.test"];

    /// <summary>Fields written as a list of KEY=VALUE or as a mapping, with the separators their list form uses.</summary>
    internal static readonly Dictionary<string, char[]> KeyedFields = new(StringComparer.Ordinal)
    {
        ["environment"] = ['='],
        ["labels"] = ['='],
        ["sysctls"] = ['='],
        ["extra_hosts"] = ['=', ':'],
        ["annotations"] = ['='],
        ["build.args"] = ['='],
        ["build.labels"] = ['='],
        ["deploy.labels"] = ['='],
    };

    public static MappingNode Files(MappingNode baseFile, MappingNode over) => MergeMap(baseFile, over, (key, b, o) => Sections.Contains(key)
        ? MergeMap(AsMap(b, key), AsMap(o, key), (name, bd, od) => key == "services" ? Service(AsMap(bd, name), AsMap(od, name)) : Generic(key + "." + name, bd, od))
        : o);

    public static MappingNode Service(MappingNode baseService, MappingNode over) => MergeMap(baseService, over, Field);

    private static Node Field(string path, Node b, Node o)
    {
        if (Replaced.Contains(path))
        {
            return o;
        }
        if (KeyedFields.TryGetValue(path, out var separators))
        {
            return MergeMap(KeyedMap(b, separators), KeyedMap(o, separators), (_, _, v) => v);
        }
        return path switch
        {
            "build" => MergeMap(BuildMap(b), BuildMap(o), (k, bv, ov) => Field("build." + k, bv, ov)),
            "volumes" => ByKey(b, o, VolumeTarget),
            "secrets" or "configs" => ByKey(b, o, FileTarget),
            "ports" => ByKey(b, o, PortKey),
            "devices" => ByKey(b, o, VolumeTarget),
            "networks" => MergeMap(NameMap(b), NameMap(o), (name, bv, ov) => Generic("networks." + name, bv, ov)),
            "depends_on" => MergeMap(NameMap(b), NameMap(o), (_, bv, ov) => bv is MappingNode bm && ov is MappingNode om ? MergeMap(bm, om, (_, _, v) => v) : ov),
            "logging" when b is MappingNode bl && o is MappingNode ol && ol["driver"] is ScalarNode od && bl["driver"] is ScalarNode bd && od.Value != bd.Value => o,
            "ulimits" => MergeMap(AsMap(b, path), AsMap(o, path), (_, _, v) => v),
            _ => Generic(path, b, o),
        };
    }

    private static Node Generic(string path, Node b, Node o) => (b, o) switch
    {
        (MappingNode bm, MappingNode om) => MergeMap(bm, om, (k, bv, ov) => Field(path + "." + k, bv, ov)),
        (SequenceNode bs, SequenceNode os) => bs.With([.. bs.Items, .. os.Items.Where(i => !bs.Items.Any(x => SameScalar(x, i)))]),
        _ => o,
    };

    private static MappingNode MergeMap(MappingNode b, MappingNode o, Func<string, Node, Node, Node> merge)
    {
        var entries = b.Entries.ToList();
        foreach (var (key, value) in o.Entries)
        {
            var name = key.Value ?? "";
            var index = entries.FindIndex(e => e.Key.Value == name);
            if (value.Tag == "!reset")
            {
                if (index >= 0)
                {
                    entries.RemoveAt(index);
                }
                continue;
            }
            var merged = index < 0 || value.Tag == "!override" || entries[index].Value is ScalarNode { IsNull: true } ? value : merge(name, entries[index].Value, value);
            if (index < 0)
            {
                entries.Add(new(key, merged));
            }
            else
            {
                entries[index] = new(entries[index].Key, merged);
            }
        }
        return b.With(entries, o.Tag == "!override" ? null : b.Tag);
    }

    private static Node ByKey(Node b, Node o, Func<Node, string> key)
    {
        if (b is not SequenceNode bs || o is not SequenceNode os)
        {
            return o;
        }
        var items = bs.Items.ToList();
        foreach (var item in os.Items)
        {
            var k = key(item);
            var index = items.FindIndex(i => key(i) == k);
            if (index >= 0)
            {
                items[index] = item;
            }
            else
            {
                items.Add(item);
            }
        }
        return bs.With(items);
    }

    /// <summary>A list of <c>KEY=VALUE</c> (or a mapping) as a mapping; a bare <c>KEY</c> maps to null.</summary>
    internal static MappingNode KeyedMap(Node node, char[] separators) => node switch
    {
        MappingNode map => map,
        SequenceNode seq => new MappingNode(seq.Source, seq.Line, seq.Column, seq.Tag, [.. seq.Items.Select(item =>
        {
            var text = (item as ScalarNode)?.Value ?? throw item.Error($"list entries here must be KEY=VALUE text, not {item.Kind}");
            var cut = separators.Select(s => text.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).First();
            var key = new ScalarNode(item.Source, item.Line, item.Column, null, cut < 0 ? text : text[..cut]);
            return new KeyValuePair<ScalarNode, Node>(key, ScalarNode.Synthetic(item, cut < 0 ? null : text[(cut + 1)..]));
        })]),
        ScalarNode { IsNull: true } => MappingNode.Empty(node),
        _ => throw node.Error($"expected a mapping or a list of KEY=VALUE, not {node.Kind}"),
    };

    /// <summary>A list of names (or a mapping keyed by name) as a mapping.</summary>
    internal static MappingNode NameMap(Node node) => node switch
    {
        MappingNode map => map,
        SequenceNode seq => new MappingNode(seq.Source, seq.Line, seq.Column, seq.Tag, [.. seq.Items.Select(item =>
            new KeyValuePair<ScalarNode, Node>(item as ScalarNode ?? throw item.Error($"list entries here must be names, not {item.Kind}"), ScalarNode.Synthetic(item, null)))]),
        ScalarNode { IsNull: true } => MappingNode.Empty(node),
        _ => throw node.Error($"expected a list of names or a mapping, not {node.Kind}"),
    };

    private static MappingNode BuildMap(Node node) => node is ScalarNode { Value: { } context } scalar
        ? new MappingNode(scalar.Source, scalar.Line, scalar.Column, null, [new(ScalarNode.Synthetic(scalar, "context"), scalar)])
        : AsMap(node, "build");

    private static MappingNode AsMap(Node node, string what) => node switch
    {
        MappingNode map => map,
        ScalarNode { IsNull: true } => MappingNode.Empty(node),
        _ => throw node.Error($"'{what}' must be a mapping, not {node.Kind}"),
    };

    internal static string VolumeTarget(Node item) => item switch
    {
        ScalarNode { Value: { } text } => text.Split(':') is var parts && parts.Length > 1 ? parts[1] : parts[0],
        MappingNode map => (map["target"] as ScalarNode)?.Value ?? "",
        _ => "",
    };

    private static string FileTarget(Node item) => item switch
    {
        ScalarNode { Value: { } name } => name,
        MappingNode map => (map["target"] as ScalarNode)?.Value ?? (map["source"] as ScalarNode)?.Value ?? "",
        _ => "",
    };

    private static string PortKey(Node item) => item switch
    {
        ScalarNode { Value: { } text } => text,
        MappingNode map => string.Join('|', PortKeyFields.Select(k => (map[k] as ScalarNode)?.Value ?? "")),
        _ => "",
    };

    private static bool SameScalar(Node a, Node b) => a is ScalarNode sa && b is ScalarNode sb && sa.Value == sb.Value;
}
