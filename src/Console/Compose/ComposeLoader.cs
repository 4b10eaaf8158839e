using System.Text;
using ConOps.Contract;
using static ConOps.Console.Compose.NodeReading;

namespace ConOps.Console.Compose;

/// <summary>
/// Reads compose files into the contract's model the way <c>docker compose</c> v2 reads them: discover, parse
/// (bounded), interpolate, include, merge in order, extend, select profiles, normalize, validate. Unknown keys
/// are errors, never silently dropped: a field ConOps does not apply must not look applied.
/// </summary>
public static class ComposeLoader
{
    public const int MaxFileBytes = YamlFile.MaxFileBytes;

    /// <summary>The file names tried, in order, when no file is named.</summary>
    public static readonly IReadOnlyList<string> DefaultFiles = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

    public static ComposeProject Load(ComposeLoadRequest request) => new Loading(request).Run();

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

    private sealed class Loading
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

        private MappingNode LoadInclude(Node item, List<string> chain)
        {
            List<ScalarNode> paths;
            Node? projectDirectory = null, envFile = null;
            if (item is MappingNode map)
            {
                paths = StringListNodes(map["path"] ?? throw map.Error("an 'include' entry needs 'path'"), "include.path", "include");
                projectDirectory = map["project_directory"];
                envFile = map["env_file"];
                foreach (var (key, _) in map.Entries)
                {
                    if (key.Value is not ("path" or "project_directory" or "env_file"))
                    {
                        throw Unknown(key, "include", ["path", "project_directory", "env_file"], []);
                    }
                }
            }
            else
            {
                paths = StringListNodes(item, "include", "include");
            }
            var fullPaths = paths.Select(p => _files.Resolve(p.Value!, p, "included file")).ToList();
            var baseDirectory = projectDirectory is null
                ? Path.GetDirectoryName(fullPaths[0])!
                : _files.Resolve(Text(projectDirectory, "project_directory", "include"), projectDirectory, "include project_directory");

            // The including project's variables win over the included project's own env file.
            var own = new Dictionary<string, string>(StringComparer.Ordinal);
            var envFiles = envFile is null
                ? File.Exists(Path.Combine(baseDirectory, ".env")) ? [Path.Combine(baseDirectory, ".env")] : []
                : StringListNodes(envFile, "env_file", "include").Select(e => _files.Resolve(e.Value!, e, "include env_file")).ToList();
            foreach (var path in envFiles)
            {
                foreach (var (key, value) in ReadEnvFile(path, baseDirectory, name => _lookup(name) ?? own.GetValueOrDefault(name)))
                {
                    own[key] = value;
                }
            }
            var interpolation = new Interpolation(name => _lookup(name) ?? own.GetValueOrDefault(name), _warnings);
            MappingNode? included = null;
            foreach (var full in fullPaths)
            {
                var file = LoadComposeFile(full, baseDirectory, interpolation, chain);
                included = included is null ? file : ComposeMerge.Files(included, file);
            }
            return included!;
        }

        /// <summary>Included resources are added, never merged: the same name in two places is an error.</summary>
        private static MappingNode AddIncluded(MappingNode model, MappingNode included, Node where)
        {
            var entries = model.Entries.ToList();
            foreach (var section in new[] { "services", "networks", "volumes", "configs", "secrets" })
            {
                if (included[section] is not MappingNode add || add.Entries.Count == 0)
                {
                    continue;
                }
                var index = entries.FindIndex(e => e.Key.Value == section);
                var existing = index < 0 ? MappingNode.Empty(model) : Map(entries[index].Value, section, "the compose file");
                foreach (var (name, _) in add.Entries)
                {
                    if (existing.KeyNode(name.Value!) is { } clash)
                    {
                        throw where.Error($"{section[..^1]} '{name.Value}' is defined both in {clash.Place} and in the included {name.Place}; an include cannot redefine it (use an override file or extends)");
                    }
                }
                var merged = existing.With([.. existing.Entries, .. add.Entries]);
                if (index < 0)
                {
                    entries.Add(new(ScalarNode.Synthetic(model, section), merged));
                }
                else
                {
                    entries[index] = new(entries[index].Key, merged);
                }
            }
            return model.With(entries);
        }

        private MappingNode ResolveExtends(string name, MappingNode services, string fileKey, List<string> chain)
        {
            var key = fileKey + "#" + name;
            if (_resolved.TryGetValue(key, out var done))
            {
                return done;
            }
            var service = services[name] switch
            {
                MappingNode map => map,
                ScalarNode { IsNull: true } empty => MappingNode.Empty(empty),
                var other => throw other!.Error($"service '{name}' must be a mapping, not {other.Kind}"),
            };
            if (service["extends"] is not { } extends || extends is ScalarNode { IsNull: true })
            {
                return _resolved[key] = service;
            }
            var what = $"service '{name}'";
            if (chain.Contains(key) || chain.Count >= MaxExtendsDepth)
            {
                throw extends.Error(chain.Contains(key)
                    ? $"'extends' forms a cycle: {string.Join(" -> ", chain.Append(key).Select(k => k.TrimStart('#')))}"
                    : $"{what}: 'extends' is nested more than {MaxExtendsDepth} levels deep");
            }
            string target;
            Node? fileNode = null;
            if (extends is MappingNode map2)
            {
                target = Text(map2["service"] ?? throw map2.Error($"{what}: 'extends' needs 'service', the service to extend"), "extends.service", what);
                fileNode = map2["file"];
                foreach (var (k, _) in map2.Entries)
                {
                    if (k.Value is not ("service" or "file"))
                    {
                        throw Unknown(k, $"{what}: extends", ["service", "file"], []);
                    }
                }
            }
            else
            {
                target = Text(extends, "extends", what);
            }

            var targetServices = services;
            var targetKey = fileKey;
            if (fileNode is not null)
            {
                var full = _files.Resolve(Text(fileNode, "extends.file", what), fileNode, "extends file");
                if (!_extendsFiles.TryGetValue(full, out var other))
                {
                    other = LoadComposeFile(full, Path.GetDirectoryName(full)!, new Interpolation(_lookup, _warnings), []);
                    _extendsFiles[full] = other;
                }
                targetServices = Map(other["services"] ?? MappingNode.Empty(other), "services", _files.Display(full));
                targetKey = _files.Display(full);
            }
            if (!targetServices.Contains(target))
            {
                throw extends.Error($"{what} extends service '{target}', which is not defined{(fileNode is null ? "" : $" in {targetKey}")}");
            }
            var baseService = ResolveExtends(target, targetServices, targetKey, [.. chain, key]);
            var merged = ComposeMerge.Service(Without(baseService, "extends"), Without(service, "extends"));
            return _resolved[key] = merged;
        }

        /// <summary>Stands for a whole file in messages about the file itself (not found, too large).</summary>
        private static ScalarNode FileNode(string display, string baseDirectory) => new(new SourceFile(display, display, baseDirectory), 0, 0, null, display);

        private static MappingNode Without(MappingNode map, string key) => map.With([.. map.Entries.Where(e => e.Key.Value != key)]);

        private void SelectProfiles(ProjectModel project, SortedDictionary<string, MappingNode> services)
        {
            var selected = _request.Profiles.ToHashSet(StringComparer.Ordinal);
            foreach (var (name, service) in services)
            {
                var profiles = service["profiles"] is { } node and not ScalarNode { IsNull: true } ? StringList(node, "profiles", $"service '{name}'") : [];
                if (profiles.Count == 0 || selected.Contains("*") || profiles.Exists(selected.Contains))
                {
                    project.ActiveServices.Add(name);
                }
                else
                {
                    project.InactiveServices[name] = profiles;
                }
            }
        }

        private static void ReadNetworks(ProjectModel project, Node? section)
        {
            if (section is null)
            {
                return;
            }
            foreach (var (key, value) in Map(section, "networks", "the project").Entries)
            {
                var name = key.Value!;
                var what = $"network '{name}'";
                var network = new NetworkSpec { Name = name };
                string? engineName = null;
                foreach (var (k, v) in Map(value, name, what).Entries)
                {
                    if (v is ScalarNode { IsNull: true })
                    {
                        continue;
                    }
                    switch (k.Value)
                    {
                        case "name": engineName = Text(v, "name", what); break;
                        case "driver": network.Driver = Text(v, "driver", what); break;
                        case "driver_opts": AddMap(network.DriverOpts, v, "driver_opts", what); break;
                        case "external": engineName ??= External(v, what, n => network.External = n); break;
                        case "internal": network.Internal = Bool(v, "internal", what); break;
                        case "attachable": network.Attachable = Bool(v, "attachable", what); break;
                        case "enable_ipv6": network.EnableIpv6 = Bool(v, "enable_ipv6", what); break;
                        case "labels": AddMap(network.Labels, v, "labels", what); break;
                        case "ipam": ReadIpam(network, Map(v, "ipam", what), what); break;
                        case var x when x!.StartsWith("x-", StringComparison.Ordinal): break;
                        default: throw Unknown(k, what, ["name", "driver", "driver_opts", "external", "internal", "attachable", "enable_ipv6", "labels", "ipam"], ["enable_ipv4"]);
                    }
                }
                network.EngineName = engineName ?? (network.External ? name : $"{project.Name}_{name}");
                project.Networks[name] = network;
            }
        }

        private static void ReadIpam(NetworkSpec network, MappingNode ipam, string what)
        {
            foreach (var (k, v) in ipam.Entries)
            {
                switch (k.Value)
                {
                    case "driver" when Text(v, "ipam.driver", what) == "default": break;
                    case "driver": throw v.Error($"{what}: only the default IPAM driver is supported");
                    case "config":
                        foreach (var entry in Seq(v, "ipam.config", what).Items)
                        {
                            foreach (var (ck, cv) in Map(entry, "ipam.config", what).Entries)
                            {
                                if (ck.Value != "subnet")
                                {
                                    throw Unknown(ck, $"{what}: ipam.config", ["subnet"], ["ip_range", "gateway", "aux_addresses"]);
                                }
                                network.Subnets.Add(Text(cv, "subnet", what));
                            }
                        }
                        break;
                    default: throw Unknown(k, $"{what}: ipam", ["driver", "config"], ["options"]);
                }
            }
        }

        private static void ReadVolumes(ProjectModel project, Node? section)
        {
            if (section is null)
            {
                return;
            }
            foreach (var (key, value) in Map(section, "volumes", "the project").Entries)
            {
                var name = key.Value!;
                var what = $"volume '{name}'";
                var volume = new VolumeSpec { Name = name };
                string? engineName = null;
                foreach (var (k, v) in Map(value, name, what).Entries)
                {
                    if (v is ScalarNode { IsNull: true })
                    {
                        continue;
                    }
                    switch (k.Value)
                    {
                        case "name": engineName = Text(v, "name", what); break;
                        case "driver": volume.Driver = Text(v, "driver", what); break;
                        case "driver_opts": AddMap(volume.DriverOpts, v, "driver_opts", what); break;
                        case "external": engineName ??= External(v, what, n => volume.External = n); break;
                        case "labels": AddMap(volume.Labels, v, "labels", what); break;
                        case var x when x!.StartsWith("x-", StringComparison.Ordinal): break;
                        default: throw Unknown(k, what, ["name", "driver", "driver_opts", "external", "labels"], []);
                    }
                }
                volume.EngineName = engineName ?? (volume.External ? name : $"{project.Name}_{name}");
                project.Volumes[name] = volume;
            }
        }

        /// <summary><c>external: true</c>, or the legacy <c>external: {name: x}</c> that also names the resource.</summary>
        private static string? External(Node value, string what, Action<bool> set)
        {
            if (value is MappingNode map)
            {
                set(true);
                return map["name"] is { } n ? Text(n, "external.name", what) : null;
            }
            set(Bool(value, "external", what));
            return null;
        }

        private void ReadFileDefinitions(Dictionary<string, FileDefinition> definitions, Node? section, string kind)
        {
            if (section is null)
            {
                return;
            }
            foreach (var (key, value) in Map(section, kind + "s", "the project").Entries)
            {
                var name = key.Value!;
                var what = $"{kind} '{name}'";
                var map = Map(value, name, what);
                FileDefinition? definition = null;
                foreach (var (k, v) in map.Entries)
                {
                    FileDefinition? source = k.Value switch
                    {
                        "file" => FromFile(name, v, what),
                        "content" => new FileDefinition(name, false, Encoding.UTF8.GetBytes(Text(v, "content", what)), $"{kind}s.{name} (inline content)", v),
                        "environment" => FromVariable(name, kind, v, what),
                        "external" => Bool(v, "external", what) ? new FileDefinition(name, true, null, $"{kind}s.{name} (external)", v) : null,
                        "name" => null,
                        var x when x!.StartsWith("x-", StringComparison.Ordinal) => null,
                        _ => throw Unknown(k, what, ["file", "content", "environment", "external", "name"], ["driver", "driver_opts", "labels", "template_driver"]),
                    };
                    if (source is not null && definition is not null)
                    {
                        throw k.Error($"{what} takes its content from more than one of 'file', 'content', 'environment' and 'external'; keep one");
                    }
                    definition ??= source;
                }
                definitions[name] = definition ?? throw map.Error($"{what} needs one of 'file', 'content', 'environment' or 'external: true'");
            }
        }

        private FileDefinition FromFile(string name, Node value, string what)
        {
            var full = _files.Resolve(Text(value, "file", what), value, $"file of {what}");
            return new FileDefinition(name, false, _files.Read(full, value, $"file of {what}"), _files.Display(full), value);
        }

        private FileDefinition FromVariable(string name, string kind, Node value, string what)
        {
            var variable = Text(value, "environment", what);
            var content = _lookup(variable) ?? throw value.Error($"{what} takes its content from the variable {variable}, which is not set");
            return new FileDefinition(name, false, Encoding.UTF8.GetBytes(content), $"{kind}s.{name} (variable {variable})", value);
        }

        private static void AddMap(Google.Protobuf.Collections.MapField<string, string> target, Node value, string field, string what)
        {
            foreach (var (key, text) in KeyValues(value, field, what, _ => "").OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                target[key] = text!;
            }
        }

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
