using static ConOps.Console.Compose.NodeReading;

namespace ConOps.Console.Compose;

public static partial class ComposeLoader
{
    /// <summary>include, extends and profiles: how several definitions become one project.</summary>
    private sealed partial class Loading
    {
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
    }
}
