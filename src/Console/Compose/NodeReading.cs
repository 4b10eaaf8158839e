namespace ConOps.Console.Compose;

/// <summary>Typed reads of YAML nodes, each failing with the place and a sentence naming the field.</summary>
internal static class NodeReading
{
    public static string Text(Node node, string field, string what) => node switch
    {
        ScalarNode { Value: { } text } => text,
        ScalarNode => throw node.Error($"{what}: '{field}' needs a value"),
        _ => throw node.Error($"{what}: '{field}' must be a single value, not {node.Kind}"),
    };

    public static string? OptionalText(Node node, string field, string what) => node is ScalarNode { IsNull: true } ? null : Text(node, field, what);

    public static bool Bool(Node node, string field, string what) => ComposeValues.ParseBool(Text(node, field, what), node);

    public static MappingNode Map(Node node, string field, string what) => node switch
    {
        MappingNode map => map,
        ScalarNode { IsNull: true } => MappingNode.Empty(node),
        _ => throw node.Error($"{what}: '{field}' must be a mapping, not {node.Kind}"),
    };

    public static SequenceNode Seq(Node node, string field, string what) =>
        node as SequenceNode ?? throw node.Error($"{what}: '{field}' must be a list, not {node.Kind}");

    /// <summary>A single string or a list of strings.</summary>
    public static List<ScalarNode> StringListNodes(Node node, string field, string what) => node switch
    {
        ScalarNode { Value: not null } scalar => [scalar],
        SequenceNode seq => [.. seq.Items.Select(i => i is ScalarNode { Value: not null } s ? s : throw i.Error($"{what}: entries of '{field}' must be single values, not {i.Kind}"))],
        _ => throw node.Error($"{what}: '{field}' must be a value or a list of values, not {node.Kind}"),
    };

    public static List<string> StringList(Node node, string field, string what) => [.. StringListNodes(node, field, what).Select(s => s.Value!)];

    /// <summary>A mapping or a list of KEY=VALUE; a missing value is asked of <paramref name="onNull"/>.</summary>
    public static List<KeyValuePair<string, string?>> KeyValues(Node node, string field, string what, Func<string, string?> onNull)
    {
        var separators = ComposeMerge.KeyedFields.GetValueOrDefault(field, ['=']);
        var map = node is SequenceNode or MappingNode ? ComposeMerge.KeyedMap(node, separators) : throw node.Error($"{what}: '{field}' must be a mapping or a list of KEY=VALUE, not {node.Kind}");
        var result = new List<KeyValuePair<string, string?>>();
        foreach (var (key, value) in map.Entries)
        {
            var name = key.Value ?? "";
            if (name.Length == 0)
            {
                throw key.Error($"{what}: '{field}' has an entry without a name");
            }
            var text = value switch
            {
                ScalarNode { Value: { } v } => v,
                ScalarNode => onNull(name),
                _ => throw value.Error($"{what}: the value of '{name}' in '{field}' must be a single value, not {value.Kind}"),
            };
            result.Add(new(name, text));
        }
        return result;
    }

    /// <summary>An unknown field: say whether it is valid compose that ConOps does not apply yet, or suggest the closest known name.</summary>
    public static ComposeException Unknown(ScalarNode key, string where, IReadOnlyCollection<string> known, IReadOnlyCollection<string> notYetSupported)
    {
        var name = key.Value ?? "";
        if (notYetSupported.Contains(name))
        {
            return key.Error($"{where}: '{name}' is a compose field ConOps does not support yet; remove it or keep this app on docker compose");
        }
        var suggestion = known.Select(k => (Name: k, Distance: Distance(k, name))).Where(k => k.Distance <= 2).OrderBy(k => k.Distance).Select(k => k.Name).FirstOrDefault();
        return key.Error($"{where} has an unknown field '{name}'{(suggestion is null ? "" : $"; did you mean '{suggestion}'?")}");
    }

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            previous = current;
        }
        return previous[b.Length];
    }
}
