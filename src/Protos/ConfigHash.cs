using System.Collections;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace ConOps.Contract;

/// <summary>
/// The identity of a service's desired configuration: <c>v1:sha256:&lt;hex&gt;</c> over a canonical JSON
/// form of its <see cref="ServiceSpec"/>. Console and agent both compute it, so it lives in the contract.
/// </summary>
/// <remarks>
/// Canonical form: object keys sorted ordinally, unset and default-valued fields left out (so adding a
/// field to the contract never changes an existing hash), maps sorted by key, lists kept in the order the
/// console normalized them, enums as numbers. Any change to this form must bump <see cref="Version"/>:
/// agents compare hashes by value, and a silent change would recreate every container in the fleet.
/// </remarks>
public static class ConfigHash
{
    public const string Version = "v1";

    /// <summary>The hash of the whole spec.</summary>
    public static string Compute(ServiceSpec spec) => FromInputs(Inputs(spec));

    /// <summary>
    /// The hash inputs, one canonical JSON value per top-level field that is set. Kept by the console so
    /// that two versions of a service can be compared field by field ("environment changed").
    /// </summary>
    public static SortedDictionary<string, string> Inputs(IMessage spec)
    {
        var inputs = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in spec.Descriptor.Fields.InDeclarationOrder())
        {
            var value = field.Accessor.GetValue(spec);
            if (IsUnset(spec, field, value))
            {
                continue;
            }
            inputs[field.JsonName] = Canonical(w => WriteValue(w, field, value));
        }
        return inputs;
    }

    /// <summary>The hash of previously recorded inputs: identical to <see cref="Compute"/> of the spec they came from.</summary>
    public static string FromInputs(IReadOnlyDictionary<string, string> inputs)
    {
        var canonical = new StringBuilder("{");
        foreach (var (name, json) in inputs.OrderBy(i => i.Key, StringComparer.Ordinal))
        {
            if (canonical.Length > 1)
            {
                canonical.Append(',');
            }
            canonical.Append(JsonEncodedText.Encode(name).ToString().Insert(0, "\"")).Append("\":").Append(json);
        }
        canonical.Append('}');
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString()));
        return $"{Version}:sha256:{Convert.ToHexStringLower(digest)}";
    }

    /// <summary>Names of the top-level fields whose inputs differ between two input sets.</summary>
    public static IReadOnlyList<string> ChangedFields(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after) =>
        before.Keys.Union(after.Keys)
            .Where(k => !before.TryGetValue(k, out var b) || !after.TryGetValue(k, out var a) || b != a)
            .Order(StringComparer.Ordinal)
            .ToList();

    private static string Canonical(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, SkipValidation = false }))
        {
            write(writer);
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Explicit presence (proto3 <c>optional</c>) counts as set even at the default value: <c>init: false</c> is not "unset".</summary>
    private static bool IsUnset(IMessage owner, FieldDescriptor field, object? value) =>
        field.FieldType != FieldType.Message && !field.IsRepeated && !field.IsMap && field.HasPresence
            ? !field.Accessor.HasValue(owner)
            : IsDefault(field, value);

    private static bool IsDefault(FieldDescriptor field, object? value) => value switch
    {
        null => true,
        IDictionary map => map.Count == 0,
        IList list => list.Count == 0,
        IMessage message => message.Descriptor.Fields.InDeclarationOrder().All(f => IsUnset(message, f, f.Accessor.GetValue(message))),
        string s => s.Length == 0,
        ByteString b => b.IsEmpty,
        bool b => !b,
        Enum e => Convert.ToInt64(e, System.Globalization.CultureInfo.InvariantCulture) == 0,
        int i => i == 0,
        uint u => u == 0,
        long l => l == 0,
        ulong ul => ul == 0,
        float f => f == 0,
        double d => d == 0,
        _ => throw new NotSupportedException($"Field {field.FullName} has a type the config hash does not know."),
    };

    private static void WriteValue(Utf8JsonWriter writer, FieldDescriptor field, object? value)
    {
        switch (value)
        {
            case IDictionary map:
                writer.WriteStartObject();
                var valueField = field.MessageType.FindFieldByNumber(2);
                foreach (var key in map.Keys.Cast<object>().Select(k => (Key: k, Text: Convert.ToString(k, System.Globalization.CultureInfo.InvariantCulture) ?? "")).OrderBy(k => k.Text, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(key.Text);
                    WriteScalarOrMessage(writer, valueField, map[key.Key]);
                }
                writer.WriteEndObject();
                break;
            case IList list when field.IsRepeated:
                writer.WriteStartArray();
                foreach (var item in list)
                {
                    WriteScalarOrMessage(writer, field, item);
                }
                writer.WriteEndArray();
                break;
            default:
                WriteScalarOrMessage(writer, field, value);
                break;
        }
    }

    private static void WriteScalarOrMessage(Utf8JsonWriter writer, FieldDescriptor field, object? value)
    {
        switch (value)
        {
            case IMessage message:
                writer.WriteStartObject();
                foreach (var inner in message.Descriptor.Fields.InDeclarationOrder().OrderBy(f => f.JsonName, StringComparer.Ordinal))
                {
                    var innerValue = inner.Accessor.GetValue(message);
                    if (!IsUnset(message, inner, innerValue))
                    {
                        writer.WritePropertyName(inner.JsonName);
                        WriteValue(writer, inner, innerValue);
                    }
                }
                writer.WriteEndObject();
                break;
            case string s: writer.WriteStringValue(s); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case ByteString bytes: writer.WriteStringValue(bytes.ToBase64()); break;
            case Enum e: writer.WriteNumberValue(Convert.ToInt64(e, System.Globalization.CultureInfo.InvariantCulture)); break;
            case int i: writer.WriteNumberValue(i); break;
            case uint u: writer.WriteNumberValue(u); break;
            case long l: writer.WriteNumberValue(l); break;
            case ulong ul: writer.WriteNumberValue(ul); break;
            case float f: writer.WriteNumberValue(f); break;
            case double d: writer.WriteNumberValue(d); break;
            case null: writer.WriteNullValue(); break;
            default: throw new NotSupportedException($"Field {field.FullName} has a type the config hash does not know.");
        }
    }
}
