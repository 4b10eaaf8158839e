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

    /// <summary>
    /// True when a drifted-field word from the agent names this field: either the same top-level field
    /// (<c>environment</c> covers <c>environment.GREETING</c>) or the same path.
    /// </summary>
    public static bool IsDrifted(SpecField field, IEnumerable<string> driftedFields) =>
        driftedFields.Any(d => string.Equals(d, field.Path, StringComparison.OrdinalIgnoreCase)
            || string.Equals(Normalize(d), Normalize(field.Root), StringComparison.OrdinalIgnoreCase));

    // Agents may say "drifted: cap_add" while the JSON names it capAdd.
    private static string Normalize(string name) => name.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);

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
