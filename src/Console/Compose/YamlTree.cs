namespace ConOps.Console.Compose;

/// <summary>
/// A file the loader read: how messages name it, and the directory its relative paths resolve against
/// (the project directory for <c>-f</c> files, the file's own folder for <c>extends.file</c> and <c>include</c>).
/// </summary>
internal sealed record SourceFile(string DisplayPath, string FullPath, string BaseDirectory);

/// <summary>
/// A YAML node with the place it was written. Trees are never changed after they are built: merging and
/// interpolation make new nodes, so an anchor's node can be shared by all of its aliases.
/// </summary>
internal abstract class Node(SourceFile source, int line, int column, string? tag)
{
    public SourceFile Source { get; } = source;

    public int Line { get; } = line;

    public int Column { get; } = column;

    /// <summary>The compose tags <c>!reset</c> and <c>!override</c>; null otherwise.</summary>
    public string? Tag { get; } = tag;

    /// <summary>How many nodes this node stands for once every alias below it is expanded.</summary>
    public abstract long Size { get; }

    public string Place => $"{Source.DisplayPath}:{Line}:{Column}";

    public ComposeException Error(string message) => new(message, Source.DisplayPath, Line, Column);

    public abstract string Kind { get; }
}

/// <summary>A scalar; <see cref="Value"/> is null for YAML null (<c>~</c>, <c>null</c> or nothing).</summary>
internal sealed class ScalarNode(SourceFile source, int line, int column, string? tag, string? value) : Node(source, line, column, tag)
{
    public string? Value { get; } = value;

    public bool IsNull => Value is null;

    public override long Size => 1;

    public override string Kind => IsNull ? "null" : "a single value";

    public ScalarNode With(string? value) => new(Source, Line, Column, Tag, value);

    public static ScalarNode Synthetic(Node at, string? value) => new(at.Source, at.Line, at.Column, null, value);
}

internal sealed class SequenceNode : Node
{
    public SequenceNode(SourceFile source, int line, int column, string? tag, IReadOnlyList<Node> items) : base(source, line, column, tag)
    {
        Items = items;
        Size = 1 + items.Sum(i => i.Size);
    }

    public IReadOnlyList<Node> Items { get; }

    public override long Size { get; }

    public override string Kind => "a list";

    public SequenceNode With(IReadOnlyList<Node> items, string? tag = null) => new(Source, Line, Column, tag ?? Tag, items);
}

internal sealed class MappingNode : Node
{
    private readonly Dictionary<string, int> _index;

    public MappingNode(SourceFile source, int line, int column, string? tag, IReadOnlyList<KeyValuePair<ScalarNode, Node>> entries) : base(source, line, column, tag)
    {
        Entries = entries;
        _index = new Dictionary<string, int>(entries.Count, StringComparer.Ordinal);
        for (var i = 0; i < entries.Count; i++)
        {
            _index[entries[i].Key.Value ?? ""] = i;
        }
        Size = 1 + entries.Sum(e => 1 + e.Value.Size);
    }

    public IReadOnlyList<KeyValuePair<ScalarNode, Node>> Entries { get; }

    public override long Size { get; }

    public override string Kind => "a mapping";

    public Node? this[string key] => _index.TryGetValue(key, out var i) ? Entries[i].Value : null;

    public ScalarNode? KeyNode(string key) => _index.TryGetValue(key, out var i) ? Entries[i].Key : null;

    public bool Contains(string key) => _index.ContainsKey(key);

    public MappingNode With(IReadOnlyList<KeyValuePair<ScalarNode, Node>> entries, string? tag = null) => new(Source, Line, Column, tag ?? Tag, entries);

    public static MappingNode Empty(Node at) => new(at.Source, at.Line, at.Column, null, []);
}
