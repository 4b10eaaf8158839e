using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ConOps.Console.Compose;

/// <summary>
/// The normalized model as a document for people (the <c>config</c> command and golden tests): services with
/// their normalized fields and hashes, networks, volumes, and the captured files by digest. File contents are
/// never printed: secrets are among them.
/// </summary>
public static class ProjectRenderer
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true));

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static JsonObject ToJson(ComposeProject project)
    {
        var services = new JsonObject();
        foreach (var service in project.Services)
        {
            var spec = Message(service.Spec);
            spec.Remove("name");
            spec["config_hash"] = service.ConfigHash;
            services[service.Spec.Name] = spec;
        }
        var networks = new JsonObject();
        foreach (var network in project.Networks)
        {
            var json = Message(network);
            json.Remove("name");
            networks[network.Name] = json;
        }
        var volumes = new JsonObject();
        foreach (var volume in project.Volumes)
        {
            var json = Message(volume);
            json.Remove("name");
            volumes[volume.Name] = json;
        }
        var files = new JsonArray();
        foreach (var file in project.Files)
        {
            files.Add(new JsonObject { ["digest"] = file.Digest, ["origin"] = file.Origin, ["size"] = file.Content.Length });
        }
        return new JsonObject
        {
            ["name"] = project.Name,
            ["services"] = services,
            ["networks"] = networks,
            ["volumes"] = volumes,
            ["files"] = files,
            ["warnings"] = new JsonArray([.. project.Warnings.Select(w => JsonValue.Create(w))]),
        };
    }

    public static string Json(ComposeProject project) => ToJson(project).ToJsonString(Indented) + "\n";

    public static string Yaml(ComposeProject project)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        var emitter = new Emitter(text);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart());
        EmitYaml(emitter, ToJson(project));
        emitter.Emit(new DocumentEnd(true));
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    /// <summary>One line per service: its name and config hash.</summary>
    public static string Hashes(ComposeProject project)
    {
        var text = new StringBuilder();
        foreach (var service in project.Services)
        {
            text.Append(service.Spec.Name).Append(' ').Append(service.ConfigHash).Append('\n');
        }
        return text.ToString();
    }

    private static JsonObject Message(IMessage message) => JsonNode.Parse(Formatter.Format(message))!.AsObject();

    private static void EmitYaml(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                emitter.Emit(new MappingStart());
                foreach (var (key, value) in obj)
                {
                    emitter.Emit(StringScalar(key));
                    EmitYaml(emitter, value);
                }
                emitter.Emit(new MappingEnd());
                break;
            case JsonArray array:
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, false, SequenceStyle.Block));
                foreach (var item in array)
                {
                    EmitYaml(emitter, item);
                }
                emitter.Emit(new SequenceEnd());
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                emitter.Emit(StringScalar(value.GetValue<string>()));
                break;
            case null:
                emitter.Emit(new Scalar("null"));
                break;
            default:
                emitter.Emit(new Scalar(node.ToJsonString()));
                break;
        }
    }

    /// <summary>Strings that YAML would read as something else (numbers, booleans, null, empty) are quoted.</summary>
    private static Scalar StringScalar(string text)
    {
        var ambiguous = text.Length == 0
            || double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            || text.ToLowerInvariant() is "true" or "false" or "yes" or "no" or "on" or "off" or "null" or "~";
        return new Scalar(AnchorName.Empty, TagName.Empty, text, ambiguous ? ScalarStyle.DoubleQuoted : ScalarStyle.Any, true, true);
    }
}
