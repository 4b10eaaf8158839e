using System.Security.Cryptography;
using System.Text;
using ConOps.Contract;
using Microsoft.Extensions.Options;

namespace ConOps.Agent.Docker;

/// <summary>
/// Each app's own folder on the host, <c>&lt;data dir&gt;/apps/&lt;app&gt;/project</c>: what a bind written relative
/// to the compose file (<c>./data:/data</c>, <c>./conf:/etc/app</c>) mounts. It outlives every sync and every
/// container, so what services write there stays. The repository's files the binds need are written into it
/// (tracked files are updated when the repository changes them, and removed when the repository drops them and
/// nobody changed them); anything else in it belongs to the app and is never touched.
/// </summary>
public sealed class ProjectFolder(IOptions<AgentOptions> options, FileStore files)
{
    private const string TrackedFile = "project.tracked";

    private readonly string _apps = Path.Combine(options.Value.DataDirectory, "apps");

    /// <summary>The app's folder.</summary>
    public string Root(string app) => Path.Combine(_apps, app, "project");

    /// <summary>
    /// The host path of <paramref name="projectPath"/> ('/'-separated, relative) inside <paramref name="root"/>.
    /// Pure; refuses a path that would leave the folder.
    /// </summary>
    public static string Locate(string root, string projectPath)
    {
        if (projectPath is "" or ".")
        {
            return root;
        }
        var full = Path.GetFullPath(Path.Combine(root, projectPath.Replace('/', Path.DirectorySeparatorChar)));
        return full.StartsWith(Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? full
            : throw new InvalidOperationException($"the bind path '{projectPath}' leaves the app folder");
    }

    /// <summary>
    /// Binds that read a file from the repository read-only use the content store (immutable, so a rollback gets
    /// exactly the old file); a writable one gets the app folder's copy, which the container may change.
    /// </summary>
    public static bool FromFileStore(Contract.Mount mount) =>
        mount.ContentDigest.Length > 0 && (mount.ReadOnly || mount.ProjectPath.Length == 0);

    /// <summary>
    /// Makes the app folder ready for the app's binds: creates the folders binds need (as Compose does for a
    /// missing bind source) and writes the repository files they carry. Call after the file store holds the
    /// app's files.
    /// </summary>
    public void Prepare(AppDesiredState app)
    {
        var root = Root(app.App);
        Directory.CreateDirectory(root);
        var contents = app.Files.ToDictionary(f => f.Digest, StringComparer.Ordinal);
        var wanted = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var spec in app.Services.Select(s => s.Spec))
        {
            foreach (var mount in spec.Mounts.Where(m => m.Type == "bind" && m.ProjectPath.Length > 0))
            {
                var path = Locate(root, mount.ProjectPath);
                if (mount.ContentDigest.Length > 0)
                {
                    if (!FromFileStore(mount))
                    {
                        wanted[mount.ProjectPath] = Entry(mount.ContentDigest, mount.Executable);
                    }
                }
                else if (spec.SourceDigests.TryGetValue(mount.ProjectPath, out var listing) && contents.TryGetValue(listing, out var folder))
                {
                    Directory.CreateDirectory(path);
                    foreach (var (relative, digest, executable) in Listing(folder))
                    {
                        wanted[mount.ProjectPath is "." ? relative : mount.ProjectPath + "/" + relative] = Entry(digest, executable);
                    }
                }
                else if (mount.CreateHostPath && !File.Exists(path))
                {
                    Directory.CreateDirectory(path);
                }
            }
        }

        var tracked = ReadTracked(app.App);
        foreach (var (relative, entry) in wanted)
        {
            var path = Locate(root, relative);
            if (tracked.TryGetValue(relative, out var written) && written == entry && File.Exists(path))
            {
                continue; // unchanged in the repository: what the app did to it since stays
            }
            if (Directory.Exists(path))
            {
                throw new InvalidOperationException($"cannot write the repository file {relative} into the app folder: a folder of that name is there");
            }
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temp = path + ".conops-tmp";
            var (digest, executable) = Parse(entry);
            File.Copy(files.Locate(digest, 0), temp, overwrite: true);
            if (!OperatingSystem.IsWindows())
            {
                var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
                File.SetUnixFileMode(temp, executable ? mode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute : mode);
            }
            File.Move(temp, path, overwrite: true);
        }
        foreach (var (relative, entry) in tracked.Where(t => !wanted.ContainsKey(t.Key)))
        {
            // Dropped from the repository: remove it unless someone changed it since it was written.
            var path = Locate(root, relative);
            if (File.Exists(path) && Digest(path) == Parse(entry).Digest)
            {
                File.Delete(path);
            }
        }
        WriteTracked(app.App, wanted);
    }

    /// <summary>
    /// Parses a folder listing the console sends: lines of "path in folder", NUL, "sha256:hex", and NUL "x" for a
    /// file Git marks executable.
    /// </summary>
    private static IEnumerable<(string Relative, string Digest, bool Executable)> Listing(FileContent folder)
    {
        foreach (var line in Encoding.UTF8.GetString(folder.Content.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split('\0');
            if (parts.Length is not (2 or 3) || (parts.Length == 3 && parts[2] != "x")
                || parts[0].Length == 0 || parts[0].StartsWith('/') || parts[0].Split('/').Any(s => s is "" or "." or ".."))
            {
                throw new InvalidOperationException($"the folder listing {folder.Origin} has a malformed line");
            }
            yield return (parts[0], parts[1], parts.Length == 3);
        }
    }

    // What the app folder tracks per file: its digest, with "+x" when it is executable (a mode change rewrites it).
    private static string Entry(string digest, bool executable) => executable ? digest + "+x" : digest;

    private static (string Digest, bool Executable) Parse(string entry) =>
        entry.EndsWith("+x", StringComparison.Ordinal) ? (entry[..^2], true) : (entry, false);

    private Dictionary<string, string> ReadTracked(string app)
    {
        var path = Path.Combine(_apps, app, TrackedFile);
        var tracked = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return tracked;
        }
        foreach (var line in File.ReadAllLines(path))
        {
            var parts = line.Split('\0');
            if (parts.Length == 2)
            {
                tracked[parts[0]] = parts[1];
            }
        }
        return tracked;
    }

    private void WriteTracked(string app, IReadOnlyDictionary<string, string> tracked)
    {
        var path = Path.Combine(_apps, app, TrackedFile);
        var text = string.Concat(tracked.Select(t => $"{t.Key}\0{t.Value}\n"));
        if (File.Exists(path) && File.ReadAllText(path) == text)
        {
            return;
        }
        File.WriteAllText(path + ".tmp", text);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private static string Digest(string path)
    {
        using var stream = File.OpenRead(path);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
