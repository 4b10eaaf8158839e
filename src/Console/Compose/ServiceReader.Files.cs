using System.Text;
using ConOps.Contract;
using static ConOps.Console.Compose.ComposeValues;
using static ConOps.Console.Compose.NodeReading;

namespace ConOps.Console.Compose;

/// <summary>Environment, env files, secrets and configs: everything a service reads from files or variables.</summary>
internal sealed partial class ServiceReader
{
    private void ReadEnvironment(ServiceSpec spec, Node? envFiles, Node? environment, string what)
    {
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (envFiles is not null)
        {
            foreach (var item in envFiles is SequenceNode seq ? seq.Items : [envFiles])
            {
                ReadEnvFile(spec, item, values, what);
            }
        }
        if (environment is not null)
        {
            foreach (var (key, value) in KeyValues(environment, "environment", what, name => project.Lookup(name) ?? Missing(name)))
            {
                if (value is null)
                {
                    values.Remove(key);
                    continue;
                }
                values[key] = value;
            }
        }
        spec.Environment.Add(values);

        string? Missing(string name)
        {
            project.Warn($"{what}: environment variable {name} has no value (set it in the app's variables or .env); it is left out");
            return null;
        }
    }

    private void ReadEnvFile(ServiceSpec spec, Node item, SortedDictionary<string, string> values, string what)
    {
        string path;
        var required = true;
        if (item is MappingNode map)
        {
            path = Text(map["path"] ?? throw map.Error($"{what}: an env_file entry needs 'path'"), "env_file.path", what);
            foreach (var (keyNode, v) in map.Entries)
            {
                switch (keyNode.Value)
                {
                    case "path": break;
                    case "required": required = Bool(v, "env_file.required", what); break;
                    case "format": throw keyNode.Error($"{what}: env_file 'format' is not supported yet; use the default KEY=VALUE format");
                    default: throw Unknown(keyNode, $"{what}: env_file", ["path", "required"], ["format"]);
                }
            }
        }
        else
        {
            path = Text(item, "env_file", what);
        }
        var full = project.Files.Resolve(path, item, "env_file");
        if (!File.Exists(full))
        {
            if (required)
            {
                throw item.Error($"{what}: the env_file '{project.Files.Display(full)}' does not exist (mark it 'required: false' if it is optional)");
            }
            project.Warn($"{what}: the optional env_file '{project.Files.Display(full)}' does not exist");
            return;
        }
        var content = project.Files.Read(full, item, "env_file");
        var display = project.Files.Display(full);
        spec.SourceDigests[display] = ProjectFiles.Digest(content);
        var file = new SourceFile(display, full, Path.GetDirectoryName(full)!);
        foreach (var (key, value) in DotEnv.Parse(Encoding.UTF8.GetString(content), file, project.Lookup, project.Warnings))
        {
            values[key] = value;
        }
    }

    private IEnumerable<FileMount> FileMounts(Node value, Dictionary<string, FileDefinition> definitions, string kind, string what)
    {
        var mounts = new List<FileMount>();
        foreach (var item in Seq(value, kind + "s", what).Items)
        {
            var mount = new FileMount();
            if (item is MappingNode map)
            {
                foreach (var (keyNode, v) in map.Entries)
                {
                    switch (keyNode.Value)
                    {
                        case "source": mount.Source = Text(v, "source", what); break;
                        case "target": mount.Target = Text(v, "target", what); break;
                        case "uid": mount.Uid = Text(v, "uid", what); break;
                        case "gid": mount.Gid = Text(v, "gid", what); break;
                        case "mode": mount.Mode = ParseMode(Text(v, "mode", what), v); break;
                        default: throw Unknown(keyNode, $"{what}: {kind}", ["source", "target", "uid", "gid", "mode"], []);
                    }
                }
                if (mount.Source.Length == 0)
                {
                    throw map.Error($"{what}: a {kind} in long syntax needs 'source'");
                }
            }
            else
            {
                mount.Source = Text(item, kind + "s", what);
            }
            if (!definitions.TryGetValue(mount.Source, out var definition))
            {
                throw item.Error($"{what} uses the {kind} '{mount.Source}', which is not declared under the top-level '{kind}s:'");
            }
            mount.Target = kind == "secret"
                ? mount.Target.StartsWith('/') ? mount.Target : "/run/secrets/" + (mount.Target.Length > 0 ? mount.Target : mount.Source)
                : mount.Target.Length > 0 ? mount.Target : "/" + mount.Source;
            if (definition.External)
            {
                mount.External = true;
            }
            else
            {
                mount.ContentDigest = project.Files.Capture(definition.Content!, definition.Origin, definition.Where);
            }
            if (mounts.Exists(m => m.Target == mount.Target))
            {
                throw item.Error($"{what} mounts two {kind}s at '{mount.Target}'");
            }
            mounts.Add(mount);
        }
        return mounts.OrderBy(m => m.Target, StringComparer.Ordinal);
    }
}
