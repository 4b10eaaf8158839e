using System.Text.Json;
using ConOps.Contract;
using Google.Protobuf;

namespace ConOps.Console.Components.Pages;

/// <summary>One field of a desired service, flattened: <c>environment.GREETING</c> = <c>hello</c>.</summary>
public sealed record SpecField(string Path, string Value)
{
    /// <summary>The top-level field name, the word agents use in drifted fields (e.g. <c>environment</c>).</summary>
    public string Root => Path.Split('.', '[')[0];
}

/// <summary>Live values placed next to the desired fields: by field path, and rows for keys no desired field has.</summary>
public sealed record LiveMatch(IReadOnlyDictionary<string, string> ByPath, IReadOnlyList<SpecField> Extra);

/// <summary>Turns a desired service into a list of named fields so the app page can show them side by side with the live state.</summary>
public static class SpecFields
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));

    public static List<SpecField> Flatten(ServiceSpec spec)
    {
        var fields = new List<SpecField>();
        using var json = JsonDocument.Parse(Formatter.Format(spec));
        Walk(json.RootElement, "", fields);
        return fields;
    }

    /// <summary>Control characters (ANSI escapes in a command, tabs) shown as <c>\x1b</c> instead of invisible boxes.</summary>
    public static string Visible(string value) =>
        value.Any(char.IsControl) ? string.Concat(value.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString())) : value;

    /// <summary>
    /// A value as the diff shows it: control characters made visible, and a byte count (memory limits, swap,
    /// shm size) followed by its size in KiB/MiB/GiB, e.g. <c>67108864 (64 MiB)</c>.
    /// </summary>
    public static string Display(string path, string value)
    {
        var name = path[(path.LastIndexOf('.') + 1)..];
        var isBytes = name.Contains("memory", StringComparison.OrdinalIgnoreCase) || name.Contains("memswap", StringComparison.OrdinalIgnoreCase)
            || name.Contains("shm", StringComparison.OrdinalIgnoreCase) || name.EndsWith("Bytes", StringComparison.Ordinal);
        if (!isBytes || !long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var bytes) || bytes < 1024)
        {
            return Visible(value);
        }
        string[] units = ["KiB", "MiB", "GiB", "TiB"];
        var size = bytes / 1024.0;
        var unit = 0;
        while (size >= 1024 && unit < units.Length - 1)
        {
            size /= 1024;
            unit++;
        }
        return $"{value} ({size.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)} {units[unit]})";
    }

    /// <summary>
    /// True when a drifted-field word from the agent names this field: either the same top-level field
    /// (<c>environment</c> covers <c>environment.GREETING</c>) or the same path.
    /// </summary>
    public static bool IsDrifted(SpecField field, IEnumerable<string> driftedFields) =>
        driftedFields.Any(d => string.Equals(d, field.Path, StringComparison.OrdinalIgnoreCase)
            || string.Equals(Normalize(d), Normalize(field.Root), StringComparison.OrdinalIgnoreCase));

    // Agents may say "drifted: cap_add" while the JSON names it capAdd.
    private static string Normalize(string name) => name.Replace(" ", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();

    /// <summary>What the live column shows for a key whose value the agent keeps back (environment and labels may hold secrets).</summary>
    public const string HiddenValue = "differs (value not shown)";

    /// <summary>
    /// Places the live values an agent read back (<c>ServiceStatus.live_values</c>) next to the desired fields:
    /// by field path, a key such as <c>resources.memory</c> or <c>memory</c> lands on <c>resources.memoryBytes</c>;
    /// <c>environment</c> and <c>labels</c> carry only the names of the keys that differ (comma-separated), shown
    /// as <see cref="HiddenValue"/>. Keys that match no single desired field (a variable added by hand, a whole
    /// list such as <c>ports</c>) come back as extra rows whose desired value is empty.
    /// </summary>
    public static LiveMatch MatchLive(IReadOnlyList<SpecField> fields, IReadOnlyDictionary<string, string> liveValues)
    {
        var byPath = new Dictionary<string, string>(StringComparer.Ordinal);
        var extra = new List<SpecField>();
        foreach (var (key, value) in liveValues.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            var normalized = Normalize(key);
            if (normalized is "environment" or "env" or "labels")
            {
                var root = normalized == "labels" ? "labels" : "environment";
                foreach (var name in value.Split([',', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal))
                {
                    var path = $"{root}.{name}";
                    if (fields.Any(f => f.Path == path))
                    {
                        byPath[path] = HiddenValue;
                    }
                    else
                    {
                        extra.Add(new SpecField(path, HiddenValue));
                    }
                }
                continue;
            }
            if (FieldFor(fields, normalized) is { } field)
            {
                byPath[field.Path] = value;
            }
            else
            {
                extra.Add(new SpecField(key, value));
            }
        }
        return new LiveMatch(byPath, extra);
    }

    // The one desired field a live-value key names: the same path, the same last segment, or a shorter spelling
    // of it ("resources.memory" for "resources.memoryBytes"); null when none or several match.
    private static SpecField? FieldFor(IReadOnlyList<SpecField> fields, string key)
    {
        var keyParts = key.Split('.');
        foreach (var matches in new Func<string[], bool>[]
        {
            parts => parts.SequenceEqual(keyParts),
            parts => parts[^1] == keyParts[^1] && EndsWith(parts.AsSpan(..^1), keyParts.AsSpan(..^1)),
            parts => parts[^1].StartsWith(keyParts[^1], StringComparison.Ordinal) && EndsWith(parts.AsSpan(..^1), keyParts.AsSpan(..^1)),
        })
        {
            var found = fields.Where(f => matches(Normalize(f.Path).Split('.'))).Take(2).ToList();
            if (found.Count == 1)
            {
                return found[0];
            }
            if (found.Count > 1)
            {
                return null;
            }
        }
        return null;
    }

    private static bool EndsWith(ReadOnlySpan<string> parts, ReadOnlySpan<string> suffix) =>
        suffix.Length <= parts.Length && parts[^suffix.Length..].SequenceEqual(suffix);

    private static void Walk(JsonElement element, string path, List<SpecField> fields)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Walk(property.Value, path.Length == 0 ? property.Name : $"{path}.{property.Name}", fields);
                }
                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, $"{path}[{index++}]", fields);
                }
                break;
            case JsonValueKind.String:
                fields.Add(new SpecField(path, element.GetString() ?? ""));
                break;
            default:
                fields.Add(new SpecField(path, element.GetRawText()));
                break;
        }
    }
}
