namespace ConOps.Console.Components.Logs;

/// <summary>One log line as the log view shows it.</summary>
public sealed record LogLine(long Sequence, DateTimeOffset? Timestamp, string Source, string Text, bool IsError)
{
    /// <summary>The text without escape sequences (search and download use it).</summary>
    public string Plain { get; } = AnsiText.Plain(Text);
}

/// <summary>
/// The newest <see cref="Capacity"/> lines and nothing more: memory stays bounded however fast a service
/// writes. Single writer (the view's render loop); snapshots are copies.
/// </summary>
public sealed class LogBuffer(int capacity)
{
    private readonly LogLine[] _ring = new LogLine[capacity];
    private int _start;

    public int Capacity => _ring.Length;

    public int Count { get; private set; }

    /// <summary>Lines pushed out of the buffer because newer ones arrived.</summary>
    public long Dropped { get; private set; }

    public void Add(LogLine line)
    {
        if (Count < _ring.Length)
        {
            _ring[(_start + Count) % _ring.Length] = line;
            Count++;
            return;
        }
        _ring[_start] = line;
        _start = (_start + 1) % _ring.Length;
        Dropped++;
    }

    public void Clear()
    {
        Array.Clear(_ring);
        _start = 0;
        Count = 0;
    }

    /// <summary>The lines oldest first, optionally only those containing <paramref name="search"/>.</summary>
    public List<LogLine> Snapshot(string? search = null)
    {
        var lines = new List<LogLine>(string.IsNullOrEmpty(search) ? Count : 256);
        for (var i = 0; i < Count; i++)
        {
            var line = _ring[(_start + i) % _ring.Length];
            if (string.IsNullOrEmpty(search) || line.Plain.Contains(search, StringComparison.OrdinalIgnoreCase))
            {
                lines.Add(line);
            }
        }
        return lines;
    }
}
