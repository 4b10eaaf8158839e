using ConOps.Contract;
using static ConOps.Console.Compose.ComposeValues;
using static ConOps.Console.Compose.NodeReading;

namespace ConOps.Console.Compose;

/// <summary>Volumes: named, anonymous, bind (repository paths captured by digest) and tmpfs, short and long syntax.</summary>
internal sealed partial class ServiceReader
{
    private void ReadMounts(ServiceSpec spec, Node value, string what)
    {
        var mounts = new List<Mount>();
        foreach (var item in Seq(value, "volumes", what).Items)
        {
            var mount = item is MappingNode map ? LongMount(spec, map, what) : ShortMount(spec, Text(item, "volumes", what), item, what);
            if (mounts.Exists(m => m.Target == mount.Target))
            {
                throw item.Error($"{what} mounts two volumes at '{mount.Target}'");
            }
            mounts.Add(mount);
        }
        spec.Mounts.AddRange(mounts.OrderBy(m => m.Target, StringComparer.Ordinal));
    }

    private Mount ShortMount(ServiceSpec spec, string text, Node where, string what)
    {
        var parts = text.Split(':');
        if (parts.Length > 3 || parts.Any(p => p.Length == 0))
        {
            throw where.Error($"{what}: volume '{text}' is not [SOURCE:]TARGET[:MODE]");
        }
        if (parts.Length == 1)
        {
            return new Mount { Type = "volume", Target = ContainerPath(parts[0], where, what) };
        }
        var mount = new Mount { Target = ContainerPath(parts[1], where, what) };
        if (parts.Length == 3)
        {
            foreach (var option in parts[2].Split(','))
            {
                switch (option)
                {
                    case "ro": mount.ReadOnly = true; break;
                    case "rw": mount.ReadOnly = false; break;
                    case "z" or "Z": mount.Selinux = option; break;
                    case "nocopy": mount.NoCopy = true; break;
                    case "shared" or "rshared" or "slave" or "rslave" or "private" or "rprivate": mount.Propagation = option; break;
                    case "consistent" or "cached" or "delegated": mount.Consistency = option; break;
                    default: throw where.Error($"{what}: '{option}' in volume '{text}' is not a mount option (ro, rw, z, Z, nocopy, or a propagation such as rprivate)");
                }
            }
        }
        if (IsPath(parts[0]))
        {
            mount.Type = "bind";
            mount.CreateHostPath = true;
            Bind(spec, mount, parts[0], where);
            if (mount.NoCopy)
            {
                throw where.Error($"{what}: 'nocopy' applies to named volumes, not to the bind mount '{text}'");
            }
        }
        else
        {
            mount.Type = "volume";
            mount.Source = VolumeSource(parts[0], where, what);
            if (mount.Selinux.Length > 0 || mount.Propagation.Length > 0)
            {
                throw where.Error($"{what}: SELinux and propagation options apply to bind mounts, not to the volume '{parts[0]}'");
            }
        }
        return mount;
    }

    private Mount LongMount(ServiceSpec spec, MappingNode map, string what)
    {
        var mount = new Mount();
        string? source = null;
        MappingNode? bind = null, volume = null, tmpfs = null;
        foreach (var (keyNode, v) in map.Entries)
        {
            if (v is ScalarNode { IsNull: true })
            {
                continue;
            }
            switch (keyNode.Value)
            {
                case "type": mount.Type = Text(v, "volumes.type", what); break;
                case "source": source = Text(v, "volumes.source", what); break;
                case "target": mount.Target = ContainerPath(Text(v, "volumes.target", what), v, what); break;
                case "read_only": mount.ReadOnly = Bool(v, "volumes.read_only", what); break;
                case "consistency": mount.Consistency = Text(v, "volumes.consistency", what); break;
                case "bind": bind = Map(v, "volumes.bind", what); break;
                case "volume": volume = Map(v, "volumes.volume", what); break;
                case "tmpfs": tmpfs = Map(v, "volumes.tmpfs", what); break;
                case var k when k!.StartsWith("x-", StringComparison.Ordinal): break;
                default: throw Unknown(keyNode, $"{what}: volume", ["type", "source", "target", "read_only", "consistency", "bind", "volume", "tmpfs"], ["image"]);
            }
        }
        if (mount.Target.Length == 0)
        {
            throw map.Error($"{what}: a volume in long syntax needs 'target', the path inside the container");
        }
        switch (mount.Type)
        {
            case "bind":
                if (source is null)
                {
                    throw map.Error($"{what}: the bind mount at '{mount.Target}' needs a 'source'");
                }
                Bind(spec, mount, source, map);
                foreach (var (keyNode, v) in bind?.Entries ?? [])
                {
                    switch (keyNode.Value)
                    {
                        case "propagation": mount.Propagation = Text(v, "bind.propagation", what); break;
                        case "create_host_path": mount.CreateHostPath = Bool(v, "bind.create_host_path", what); break;
                        case "selinux": mount.Selinux = Text(v, "bind.selinux", what) is var s && s is "z" or "Z" ? s : throw v.Error($"{what}: bind.selinux must be 'z' or 'Z'"); break;
                        default: throw Unknown(keyNode, $"{what}: bind", ["propagation", "create_host_path", "selinux"], ["recursive"]);
                    }
                }
                break;
            case "volume":
                if (source is not null)
                {
                    mount.Source = VolumeSource(source, map, what);
                }
                foreach (var (keyNode, v) in volume?.Entries ?? [])
                {
                    switch (keyNode.Value)
                    {
                        case "nocopy": mount.NoCopy = Bool(v, "volume.nocopy", what); break;
                        case "subpath": mount.Subpath = Text(v, "volume.subpath", what); break;
                        default: throw Unknown(keyNode, $"{what}: volume", ["nocopy", "subpath"], ["labels"]);
                    }
                }
                break;
            case "tmpfs":
                if (source is not null)
                {
                    throw map.Error($"{what}: a tmpfs mount has no 'source'");
                }
                foreach (var (keyNode, v) in tmpfs?.Entries ?? [])
                {
                    switch (keyNode.Value)
                    {
                        case "size": mount.TmpfsSizeBytes = ParseBytes(Text(v, "tmpfs.size", what), v); break;
                        case "mode": mount.TmpfsMode = ParseMode(Text(v, "tmpfs.mode", what), v); break;
                        default: throw Unknown(keyNode, $"{what}: tmpfs", ["size", "mode"], []);
                    }
                }
                break;
            case "":
                throw map.Error($"{what}: a volume in long syntax needs 'type' (volume, bind or tmpfs)");
            default:
                throw map.Error($"{what}: volume type '{mount.Type}' is not supported; use volume, bind or tmpfs");
        }
        if ((bind is not null && mount.Type != "bind") || (volume is not null && mount.Type != "volume") || (tmpfs is not null && mount.Type != "tmpfs"))
        {
            throw map.Error($"{what}: the mount at '{mount.Target}' is of type '{mount.Type}' but has options for another type");
        }
        return mount;
    }

    private static bool IsPath(string source) => source.StartsWith('.') || source.StartsWith('/') || source.StartsWith('~');

    private static string ContainerPath(string path, Node where, string what) =>
        path.StartsWith('/') ? path : throw where.Error($"{what}: the container path '{path}' must be absolute (start with '/')");

    /// <summary>
    /// A bind source: a host path as written, or a path of the app folder. The latter keeps only its relative
    /// path (the agent binds its own per-app folder there, so the hash does not depend on where the console keeps
    /// its checkout); repository files are captured by digest, repository folders with a listing of their files.
    /// </summary>
    private void Bind(ServiceSpec spec, Mount mount, string source, Node where)
    {
        if (!ProjectFiles.IsRelative(source))
        {
            if (source.StartsWith('~'))
            {
                project.Files.Resolve(source, where, "bind mount source");
            }
            mount.Source = source;
            return;
        }
        var full = project.Files.Resolve(source, where, "bind mount source");
        mount.ProjectPath = project.Files.Display(full);
        if (File.Exists(full))
        {
            mount.ContentDigest = project.Files.Capture(project.Files.Read(full, where, "bind-mounted file"), project.Files.Display(full), where);
            mount.Executable = ProjectFiles.IsExecutable(full);
        }
        else if (Directory.Exists(full))
        {
            spec.SourceDigests[mount.ProjectPath] = project.Files.CaptureFolder(full, where);
        }
    }

    private string VolumeSource(string name, Node where, string what)
    {
        if (!project.Volumes.TryGetValue(name, out var volume))
        {
            throw where.Error($"{what} uses the volume '{name}', which is not declared under the top-level 'volumes:' (a bind mount must start with '.', '/' or '~')");
        }
        project.UsedVolumes.Add(name);
        return volume.EngineName;
    }
}
