using System.Security.Cryptography;
using System.Text;
using ConOps.Contract;
using Google.Protobuf;

namespace ConOps.Console.Compose;

/// <summary>
/// Every file the loader touches goes through here: relative paths resolve against the file that wrote them
/// and must stay inside the project's root (the repository checkout); contents that services depend on are
/// read within size bounds and kept by content digest.
/// </summary>
internal sealed class ProjectFiles(string rootDirectory)
{
    /// <summary>One captured file (a config, a secret, a bind-mounted repository file).</summary>
    public const int MaxFileBytes = 1024 * 1024;

    /// <summary>All captured contents of one project together.</summary>
    public const long MaxTotalBytes = 32L * 1024 * 1024;

    /// <summary>Files below one bind-mounted repository folder that are captured.</summary>
    public const int MaxFolderFiles = 2_000;

    private readonly Dictionary<string, FileContent> _contents = new(StringComparer.Ordinal);
    private long _totalBytes;

    public string Root { get; } = Path.TrimEndingDirectorySeparator(Path.GetFullPath(rootDirectory));

    /// <summary>Captured contents, in the order first captured.</summary>
    public IReadOnlyList<FileContent> Contents => [.. _contents.Values];

    public static bool IsRelative(string path) => !Path.IsPathRooted(path) && !path.StartsWith('~');

    /// <summary>The absolute path a relative path written in <paramref name="where"/> stands for; an error when it leaves the root.</summary>
    public string Resolve(string path, Node where, string what)
    {
        if (path.StartsWith('~'))
        {
            throw where.Error($"the {what} '{path}' starts with '~', whose meaning depends on the user the agent runs as; write an absolute path or one relative to the compose file");
        }
        var full = Path.GetFullPath(Path.Combine(where.Source.BaseDirectory, path));
        if (!IsInside(full))
        {
            throw where.Error($"the {what} '{path}' points outside the repository folder of this app; only files inside it can be used");
        }
        // A symbolic link inside the repository must not lead out of it either.
        string? target;
        try
        {
            target = ResolveLinks(full);
        }
        catch (IOException ex)
        {
            throw where.Error($"the {what} '{path}' cannot be followed: {ex.Message}");
        }
        if (target is not null && !IsInside(target))
        {
            throw where.Error($"the {what} '{path}' is a symbolic link to a place outside the repository folder of this app");
        }
        return full;
    }

    public string Display(string fullPath) =>
        fullPath == Root ? "." : Path.GetRelativePath(Root, fullPath).Replace(Path.DirectorySeparatorChar, '/');

    /// <summary>Reads a file a service depends on (bounded) without keeping it in <see cref="Contents"/>.</summary>
    public byte[] Read(string fullPath, Node where, string what)
    {
        var info = new FileInfo(fullPath);
        if (!info.Exists)
        {
            throw where.Error($"the {what} '{Display(fullPath)}' does not exist");
        }
        if (info.Length > MaxFileBytes)
        {
            throw where.Error($"the {what} '{Display(fullPath)}' is {info.Length / 1024} KiB; files used by services may be at most {MaxFileBytes / 1024} KiB");
        }
        return File.ReadAllBytes(fullPath);
    }

    /// <summary>Keeps content the agent must receive and returns its digest.</summary>
    public string Capture(byte[] content, string origin, Node where)
    {
        var digest = Digest(content);
        if (_contents.ContainsKey(digest))
        {
            return digest;
        }
        if (content.Length > MaxFileBytes)
        {
            throw where.Error($"the content of {origin} is {content.Length / 1024} KiB; files used by services may be at most {MaxFileBytes / 1024} KiB");
        }
        _totalBytes += content.Length;
        if (_totalBytes > MaxTotalBytes)
        {
            throw where.Error($"the files this app's services use add up to more than {MaxTotalBytes / (1024 * 1024)} MiB");
        }
        _contents[digest] = new FileContent { Digest = digest, Content = ByteString.CopyFrom(content), Origin = origin };
        return digest;
    }

    /// <summary>
    /// Captures a bind-mounted repository folder for the agent: each file's content, and a listing of the folder
    /// (one line per file: its path relative to the folder, a NUL, its digest, and NUL "x" when it is executable)
    /// whose digest is returned. An edit
    /// inside the folder therefore changes the listing's digest and the service's hash, and the agent can write
    /// the folder's files into its own copy of the app folder.
    /// </summary>
    public string CaptureFolder(string fullPath, Node where)
    {
        var lines = new StringBuilder();
        var count = 0;
        long bytes = 0;
        foreach (var file in Directory.EnumerateFiles(fullPath, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Order(StringComparer.Ordinal))
        {
            if (++count > MaxFolderFiles)
            {
                throw where.Error($"the folder '{Display(fullPath)}' holds more than {MaxFolderFiles} files; mount a smaller folder from the repository");
            }
            var info = new FileInfo(file);
            bytes += info.Length;
            if (bytes > MaxTotalBytes)
            {
                throw where.Error($"the folder '{Display(fullPath)}' holds more than {MaxTotalBytes / (1024 * 1024)} MiB");
            }
            var relative = Path.GetRelativePath(fullPath, file).Replace(Path.DirectorySeparatorChar, '/');
            var digest = Capture(Read(file, where, "bind-mounted file"), Display(file), where);
            lines.Append(relative).Append('\0').Append(digest);
            if (IsExecutable(file))
            {
                lines.Append("\0x"); // only then: listings of folders without executables keep their digest
            }
            lines.Append('\n');
        }
        return Capture(Encoding.UTF8.GetBytes(lines.ToString()), Display(fullPath) + "/ (folder listing)", where);
    }

    /// <summary>Git's executable bit, as the checkout keeps it.</summary>
    public static bool IsExecutable(string file) =>
        !OperatingSystem.IsWindows() && (File.GetUnixFileMode(file) & UnixFileMode.UserExecute) != 0;

    public static string Digest(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    private bool IsInside(string full) =>
        full == Root || full.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>The real location of an existing path below the root, following links segment by segment; null when it does not exist.</summary>
    private string? ResolveLinks(string full)
    {
        var current = Root;
        foreach (var segment in Path.GetRelativePath(Root, full).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment == ".")
            {
                continue;
            }
            current = Path.Combine(current, segment);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (!info.Exists && info.LinkTarget is null)
            {
                return null;
            }
            if (info.LinkTarget is not null)
            {
                var target = info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(info.LinkTarget, Path.GetDirectoryName(current)!);
                if (!IsInside(target))
                {
                    return target;
                }
                current = target;
            }
        }
        return current;
    }
}
