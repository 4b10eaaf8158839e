using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ConOps.Console.Compose;

/// <summary>
/// Reads one YAML file into a <see cref="Node"/> tree within fixed bounds: file size, nesting depth, and the
/// number of nodes after alias expansion (YamlDotNet has no limit of its own, so a few lines of nested
/// aliases could otherwise expand to billions of nodes). Merge keys (<c>&lt;&lt;</c>) are applied here.
/// </summary>
internal sealed class YamlFile
{
    public const int MaxFileBytes = 1024 * 1024;
    public const long MaxNodes = 250_000;
    public const int MaxDepth = 64;

    private readonly SourceFile _source;
    private readonly Parser _parser;
    private readonly Dictionary<string, Node> _anchors = new(StringComparer.Ordinal);
    private long _nodes;

    private YamlFile(SourceFile source, string text)
    {
        _source = source;
        _parser = new Parser(new StringReader(text));
    }

    /// <summary>Reads the file; its root must be a mapping.</summary>
    public static MappingNode Load(SourceFile source)
    {
        var info = new FileInfo(source.FullPath);
        if (!info.Exists)
        {
            throw new ComposeException("file not found", source.DisplayPath);
        }
        if (info.Length > MaxFileBytes)
        {
            throw new ComposeException($"the file is {info.Length / 1024} KiB; compose files may be at most {MaxFileBytes / 1024} KiB", source.DisplayPath);
        }
        return Parse(source, File.ReadAllText(source.FullPath, Encoding.UTF8));
    }

    public static MappingNode Parse(SourceFile source, string text)
    {
        var file = new YamlFile(source, text);
        try
        {
            return file.ReadDocument();
        }
        catch (YamlException ex)
        {
            var reason = (ex.InnerException?.Message ?? ex.Message).TrimEnd('.');
            throw new ComposeException($"this is not valid YAML: {reason}", source.DisplayPath, (int)ex.Start.Line, (int)ex.Start.Column);
        }
    }

    private MappingNode ReadDocument()
    {
        _parser.Consume<StreamStart>();
        if (_parser.Accept<StreamEnd>(out _))
        {
            throw new ComposeException("the file is empty", _source.DisplayPath, 1, 1);
        }
        _parser.Consume<DocumentStart>();
        var root = Read(1);
        _parser.Consume<DocumentEnd>();
        if (_parser.Accept<DocumentStart>(out var second))
        {
            throw Fail(second.Start, "the file holds more than one YAML document ('---'); a compose file holds exactly one");
        }
        return root switch
        {
            MappingNode map => map,
            ScalarNode { IsNull: true } => throw new ComposeException("the file is empty", _source.DisplayPath, 1, 1),
            _ => throw root.Error($"the top level of a compose file must be a mapping (with 'services:'), not {root.Kind}"),
        };
    }

    private Node Read(int depth)
    {
        if (depth > MaxDepth)
        {
            throw Fail(_parser.Current!.Start, $"the YAML is nested more than {MaxDepth} levels deep");
        }
        var current = _parser.Current ?? throw Fail(default, "unexpected end of file");
        if (_parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (!_anchors.TryGetValue(alias.Value.Value, out var target))
            {
                throw Fail(alias.Start, $"alias '*{alias.Value.Value}' refers to no anchor defined before it");
            }
            Count(target.Size, alias.Start);
            return target;
        }

        Node node = current switch
        {
            Scalar => ReadScalar(),
            SequenceStart => ReadSequence(depth),
            MappingStart => ReadMapping(depth),
            _ => throw Fail(current.Start, "unexpected YAML content"),
        };
        if (current is NodeEvent { Anchor.IsEmpty: false } withAnchor)
        {
            // A later anchor with the same name replaces the earlier one, as YAML says.
            _anchors[withAnchor.Anchor.Value] = node;
        }
        return node;
    }

    private ScalarNode ReadScalar()
    {
        var scalar = _parser.Consume<Scalar>();
        Count(1, scalar.Start);
        var tag = ComposeTag(scalar);
        var isNull = scalar.Style == ScalarStyle.Plain && scalar.Value is "" or "~" or "null" or "Null" or "NULL";
        return new ScalarNode(_source, (int)scalar.Start.Line, (int)scalar.Start.Column, tag, isNull ? null : scalar.Value);
    }

    private SequenceNode ReadSequence(int depth)
    {
        var start = _parser.Consume<SequenceStart>();
        Count(1, start.Start);
        var tag = ComposeTag(start);
        var items = new List<Node>();
        while (!_parser.TryConsume<SequenceEnd>(out _))
        {
            items.Add(Read(depth + 1));
        }
        return new SequenceNode(_source, (int)start.Start.Line, (int)start.Start.Column, tag, items);
    }

    private MappingNode ReadMapping(int depth)
    {
        var start = _parser.Consume<MappingStart>();
        Count(1, start.Start);
        var tag = ComposeTag(start);
        var entries = new List<KeyValuePair<ScalarNode, Node>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var merged = new List<KeyValuePair<ScalarNode, Node>>();
        while (!_parser.TryConsume<MappingEnd>(out _))
        {
            var keyEvent = _parser.Current!;
            if (keyEvent is not Scalar keyScalar)
            {
                throw Fail(keyEvent.Start, "a mapping key must be a plain value, not a list or mapping");
            }
            _parser.MoveNext();
            Count(1, keyScalar.Start);
            var key = new ScalarNode(_source, (int)keyScalar.Start.Line, (int)keyScalar.Start.Column, null, keyScalar.Value);
            var value = Read(depth + 1);
            if (keyScalar.Value == "<<" && keyScalar.Style == ScalarStyle.Plain)
            {
                AddMergeSources(value, merged);
                continue;
            }
            if (!seen.Add(keyScalar.Value))
            {
                throw Fail(keyScalar.Start, $"the key '{keyScalar.Value}' appears twice in the same mapping");
            }
            entries.Add(new(key, value));
        }
        // Keys written in the mapping win over merged ones; among merge sources the first one wins.
        foreach (var entry in merged)
        {
            if (seen.Add(entry.Key.Value ?? ""))
            {
                entries.Add(entry);
            }
        }
        return new MappingNode(_source, (int)start.Start.Line, (int)start.Start.Column, tag, entries);
    }

    private static void AddMergeSources(Node value, List<KeyValuePair<ScalarNode, Node>> merged)
    {
        var sources = value switch
        {
            MappingNode map => [map],
            SequenceNode seq => seq.Items.Select(i => i as MappingNode ?? throw i.Error($"a merge key ('<<') takes mappings, not {i.Kind}")).ToList(),
            _ => throw value.Error($"a merge key ('<<') takes a mapping or a list of mappings, not {value.Kind}"),
        };
        foreach (var source in sources)
        {
            foreach (var entry in source.Entries)
            {
                if (!merged.Exists(m => m.Key.Value == entry.Key.Value))
                {
                    merged.Add(entry);
                }
            }
        }
    }

    private string? ComposeTag(NodeEvent node)
    {
        if (node.Tag.IsEmpty || node.Tag.IsNonSpecific)
        {
            return null;
        }
        var tag = node.Tag.Value;
        if (tag is "!reset" or "!override")
        {
            return tag;
        }
        if (tag.StartsWith("tag:yaml.org,2002:", StringComparison.Ordinal))
        {
            return null;
        }
        throw Fail(node.Start, $"unknown YAML tag '{tag}'; compose files only use !reset and !override");
    }

    private void Count(long nodes, Mark at)
    {
        _nodes += nodes;
        if (_nodes > MaxNodes)
        {
            throw Fail(at, $"the file holds more than {MaxNodes:N0} YAML nodes once its aliases are expanded; aliases that expand to aliases over and over (an alias bomb) are refused");
        }
    }

    private ComposeException Fail(Mark at, string message) =>
        new(message, _source.DisplayPath, (int)at.Line, (int)at.Column);
}
