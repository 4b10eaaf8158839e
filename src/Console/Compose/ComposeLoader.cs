using System.Text;
using ConOps.Contract;
using static ConOps.Console.Compose.NodeReading;

namespace ConOps.Console.Compose;

/// <summary>
/// Reads compose files into the contract's model the way <c>docker compose</c> v2 reads them: discover, parse
/// (bounded), interpolate, include, merge in order, extend, select profiles, normalize, validate. Unknown keys
/// are errors, never silently dropped: a field ConOps does not apply must not look applied.
/// </summary>
public static partial class ComposeLoader
{
    public const int MaxFileBytes = YamlFile.MaxFileBytes;

    /// <summary>The file names tried, in order, when no file is named.</summary>
    public static readonly IReadOnlyList<string> DefaultFiles = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

    public static ComposeProject Load(ComposeLoadRequest request)
    {
        try
        {
            return new Loading(request).Run();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Unreadable files are bad input too: the user sees why, the last good state keeps running.
            throw new ComposeException($"cannot read the app's files: {ex.Message}");
        }
    }

    /// <summary>The files <see cref="Load"/> reads when <see cref="ComposeLoadRequest.Files"/> is empty: the first default file and its override.</summary>
    public static IReadOnlyList<string> Discover(string projectDirectory, ICollection<string>? warnings = null)
    {
        var found = DefaultFiles.Where(f => File.Exists(Path.Combine(projectDirectory, f))).ToList();
        if (found.Count == 0)
        {
            throw new ComposeException($"no compose file in the app folder; expected one of {string.Join(", ", DefaultFiles)}");
        }
        if (found.Count > 1)
        {
            warnings?.Add($"found {string.Join(" and ", found)}; using {found[0]}");
        }
        var file = found[0];
        var extension = Path.GetExtension(file);
        var stem = Path.GetFileNameWithoutExtension(file);
        var overrideFile = new[] { extension, extension == ".yaml" ? ".yml" : ".yaml" }
            .Select(e => $"{stem}.override{e}")
            .FirstOrDefault(f => File.Exists(Path.Combine(projectDirectory, f)));
        return overrideFile is null ? [file] : [file, overrideFile];
    }

    private sealed partial class Loading
    {
        private const int MaxIncludeDepth = 8;
        private const int MaxExtendsDepth = 16;

        private static readonly string[] TopLevelKeys = ["version", "name", "services", "networks", "volumes", "configs", "secrets", "include"];

        private readonly ComposeLoadRequest _request;
        private readonly string _projectDirectory;
        private readonly ProjectFiles _files;
        private readonly List<string> _warnings = [];
        private readonly List<string> _sourceFiles = [];
        private readonly Dictionary<string, MappingNode> _extendsFiles = new(StringComparer.Ordinal);
        private readonly Dictionary<string, MappingNode> _resolved = new(StringComparer.Ordinal);
        private Func<string, string?> _lookup = _ => null;

        public Loading(ComposeLoadRequest request)
        {
            _request = request;
            _projectDirectory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(request.ProjectDirectory));
            _files = new ProjectFiles(request.RootDirectory ?? _projectDirectory);
        }

        public ComposeProject Run()
        {
            if (!Directory.Exists(_projectDirectory))
            {
                throw new ComposeException($"the project folder '{_request.ProjectDirectory}' does not exist");
            }
            _lookup = Variables();
            var names = _request.Files.Count > 0 ? _request.Files : Discover(_projectDirectory, _warnings);
            MappingNode? model = null;
            foreach (var name in names)
            {
                var full = _files.Resolve(name, FileNode(name, _projectDirectory), "compose file");
                var file = LoadComposeFile(full, _projectDirectory, new Interpolation(_lookup, _warnings), []);
                model = model is null ? file : ComposeMerge.Files(model, file);
            }

            var project = new ProjectModel(ProjectName(model!), _files, _lookup, _warnings);
            var services = Map(model!["services"] ?? throw model!.Error("the project has no 'services:'; declare at least one service"), "services", "the project");
            var resolved = new SortedDictionary<string, MappingNode>(StringComparer.Ordinal);
            foreach (var (key, _) in services.Entries)
            {
                resolved[ServiceName(key)] = ResolveExtends(key.Value!, services, "", []);
            }
            SelectProfiles(project, resolved);
            ReadNetworks(project, model!["networks"]);
            ReadVolumes(project, model!["volumes"]);
            ReadFileDefinitions(project.Configs, model!["configs"], "config");
            ReadFileDefinitions(project.Secrets, model!["secrets"], "secret");

            var reader = new ServiceReader(project);
            var specs = resolved.Where(s => project.ActiveServices.Contains(s.Key)).Select(s => (Node: s.Value, Spec: reader.Read(s.Key, s.Value))).ToList();
            Validate(project, specs);

            var networks = project.Networks.Values.Where(n => project.UsedNetworks.Contains(n.Name)).ToList();
            if (project.UsedNetworks.Contains("default") && !project.Networks.ContainsKey("default"))
            {
                networks.Add(new NetworkSpec { Name = "default", EngineName = $"{project.Name}_default" });
            }
            return new ComposeProject(
                project.Name,
                [.. specs.Select(s => ComposeService.From(s.Spec))],
                [.. networks.OrderBy(n => n.Name, StringComparer.Ordinal)],
                [.. project.Volumes.Values.Where(v => project.UsedVolumes.Contains(v.Name)).OrderBy(v => v.Name, StringComparer.Ordinal)],
                [.. _files.Contents.OrderBy(f => f.Origin, StringComparer.Ordinal)],
                _warnings)
            {
                SourceFiles = [.. _sourceFiles],
            };
        }

        /// <summary>App and host variables, then (opted in) this process's environment, then the project's .env.</summary>
        private Func<string, string?> Variables()
        {
            var variables = new Dictionary<string, string>(StringComparer.Ordinal);
            var process = _request.UseProcessEnvironment
                ? System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "", StringComparer.Ordinal)
                : [];
            string? Above(string name) => _request.Variables.TryGetValue(name, out var v) ? v : process.TryGetValue(name, out var p) ? p : null;

            var envFiles = _request.EnvFiles.Count > 0 ? _request.EnvFiles : File.Exists(Path.Combine(_projectDirectory, ".env")) ? [".env"] : [];
            foreach (var envFile in envFiles)
            {
                foreach (var (key, value) in ReadEnvFile(envFile, _projectDirectory, name => Above(name) ?? variables.GetValueOrDefault(name)))
                {
                    variables[key] = value;
                }
            }
            return name => Above(name) ?? variables.GetValueOrDefault(name);
        }

        private List<KeyValuePair<string, string>> ReadEnvFile(string path, string baseDirectory, Func<string, string?> lookup)
        {
            var full = _files.Resolve(path, FileNode(path, baseDirectory), "env file");
            var display = _files.Display(full);
            var content = _files.Read(full, FileNode(display, baseDirectory), "env file");
            return DotEnv.Parse(Encoding.UTF8.GetString(content), new SourceFile(display, full, baseDirectory), lookup, _warnings);
        }

        /// <summary>One compose file: parsed, interpolated, its includes added, its top-level keys checked.</summary>
        private MappingNode LoadComposeFile(string full, string baseDirectory, Interpolation interpolation, List<string> includeChain)
        {
            var display = _files.Display(full);
            if (!_sourceFiles.Contains(display))
            {
                _sourceFiles.Add(display);
            }
            var root = (MappingNode)interpolation.Apply(YamlFile.Load(new SourceFile(display, full, baseDirectory)));
            foreach (var (key, value) in root.Entries)
            {
                var name = key.Value ?? "";
                if (name == "version")
                {
                    AddWarning($"{display}: the 'version' key is obsolete and ignored");
                }
                else if (!TopLevelKeys.Contains(name) && !name.StartsWith("x-", StringComparison.Ordinal))
                {
                    throw Unknown(key, "the compose file", TopLevelKeys, []);
                }
                else if (name is "services" or "networks" or "volumes" or "configs" or "secrets" && value is not (MappingNode or ScalarNode { IsNull: true }))
                {
                    throw value.Error($"'{name}' must be a mapping of names to definitions, not {value.Kind}");
                }
            }
            if (root["include"] is not { } include)
            {
                return root;
            }
            if (includeChain.Count >= MaxIncludeDepth || includeChain.Contains(full))
            {
                throw include.Error(includeChain.Contains(full)
                    ? $"'include' forms a cycle: {string.Join(" -> ", includeChain.Append(full).Select(_files.Display))}"
                    : $"'include' is nested more than {MaxIncludeDepth} levels deep");
            }
            var combined = root.With([.. root.Entries.Where(e => e.Key.Value != "include")]);
            foreach (var item in include is ScalarNode { IsNull: true } ? [] : Seq(include, "include", "the compose file").Items)
            {
                combined = AddIncluded(combined, LoadInclude(item, [.. includeChain, full]), item);
            }
            return combined;
        }

        /// <summary>Stands for a whole file in messages about the file itself (not found, too large).</summary>
        private static ScalarNode FileNode(string display, string baseDirectory) => new(new SourceFile(display, display, baseDirectory), 0, 0, null, display);

        private static void Validate(ProjectModel project, List<(MappingNode Node, ServiceSpec Spec)> services)
        {
            var byName = services.ToDictionary(s => s.Spec.Name, StringComparer.Ordinal);
            foreach (var (node, spec) in services)
            {
                if (spec.NetworkMode.StartsWith("service:", StringComparison.Ordinal) && !project.ActiveServices.Contains(spec.NetworkMode[8..]))
                {
                    throw (node["network_mode"] ?? node).Error($"service '{spec.Name}' shares the network of service '{spec.NetworkMode[8..]}', which is not defined or not enabled");
                }
                if (spec.ContainerName.Length > 0)
                {
                    if (spec.Scale > 1)
                    {
                        throw (node["container_name"] ?? node).Error($"service '{spec.Name}' has a fixed container_name, so it cannot run {spec.Scale} replicas");
                    }
                    if (services.Find(o => o.Spec != spec && o.Spec.ContainerName == spec.ContainerName) is { Spec: not null } other && string.CompareOrdinal(other.Spec.Name, spec.Name) < 0)
                    {
                        throw (node["container_name"] ?? node).Error($"services '{other.Spec.Name}' and '{spec.Name}' both use the container_name '{spec.ContainerName}'");
                    }
                }
            }

            // depends_on (and network_mode: service:X, which also orders start-up) must not loop.
            var state = new Dictionary<string, int>(StringComparer.Ordinal);
            var path = new List<string>();
            foreach (var (_, spec) in services)
            {
                Visit(spec.Name);
            }

            void Visit(string name)
            {
                if (state.GetValueOrDefault(name) == 2 || !byName.TryGetValue(name, out var service))
                {
                    return;
                }
                if (state.GetValueOrDefault(name) == 1)
                {
                    var cycle = path.Skip(path.IndexOf(name)).Append(name);
                    throw (service.Node["depends_on"] ?? service.Node["network_mode"] ?? service.Node).Error($"the services depend on each other in a cycle: {string.Join(" -> ", cycle)}");
                }
                state[name] = 1;
                path.Add(name);
                foreach (var dependency in service.Spec.DependsOn.Select(d => d.Service)
                    .Concat(service.Spec.NetworkMode.StartsWith("service:", StringComparison.Ordinal) ? [service.Spec.NetworkMode[8..]] : []))
                {
                    Visit(dependency);
                }
                path.RemoveAt(path.Count - 1);
                state[name] = 2;
            }
        }

        private string ProjectName(MappingNode model)
        {
            var fromFile = model["name"] is ScalarNode { Value: { } n } ? n : null;
            if (_request.ProjectName.Length > 0)
            {
                if (fromFile is not null && fromFile != _request.ProjectName)
                {
                    AddWarning($"the compose file names the project '{fromFile}'; ConOps runs it as the app '{_request.ProjectName}'");
                }
                return _request.ProjectName;
            }
            if (fromFile is not null)
            {
                return IsProjectName(fromFile) ? fromFile : throw model["name"]!.Error($"the project name '{fromFile}' may only hold lowercase letters, digits, '-' and '_', and must start with a letter or digit");
            }
            var folder = new string([.. Path.GetFileName(_projectDirectory).ToLowerInvariant().Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')]).TrimStart('-', '_');
            return folder.Length > 0 ? folder : throw new ComposeException("the project has no name: set 'name:' in the compose file");
        }

        private static bool IsProjectName(string name) =>
            name.Length > 0 && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c) || c is '-' or '_');

        private static string ServiceName(ScalarNode key)
        {
            var name = key.Value ?? "";
            return name.Length > 0 && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
                ? name
                : throw key.Error($"'{name}' is not a valid service name: use letters, digits, '-', '_' and '.', starting with a letter or digit");
        }

        private void AddWarning(string warning)
        {
            if (!_warnings.Contains(warning))
            {
                _warnings.Add(warning);
            }
        }
    }
}
