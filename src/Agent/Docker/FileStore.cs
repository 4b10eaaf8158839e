using System.Security.Cryptography;
using ConOps.Contract;
using Microsoft.Extensions.Options;

namespace ConOps.Agent.Docker;

/// <summary>
/// Content-addressed copies of the files services mount (configs, secrets, files from the repository), under
/// <c>&lt;data dir&gt;/files/sha256/</c>. A file's path is its digest, so a changed file is a new path (and a new
/// config hash), an unchanged one is written once, and a container never sees a file change under it.
/// </summary>
public sealed class FileStore
{
    private readonly string _root;

    public FileStore(IOptions<AgentOptions> options)
    {
        _root = Path.Combine(options.Value.DataDirectory, "files", "sha256");
        Directory.CreateDirectory(_root);
    }

    public string Root => _root;

    /// <summary>Stores the contents an app carries. Refuses content that does not match its digest.</summary>
    public void Write(IEnumerable<FileContent> files)
    {
        foreach (var file in files)
        {
            var hex = Hex(file.Digest);
            var actual = Convert.ToHexStringLower(SHA256.HashData(file.Content.Span));
            if (actual != hex)
            {
                throw new InvalidOperationException($"file {file.Origin} does not match its digest {file.Digest} (content hashes to sha256:{actual})");
            }
            var path = Path.Combine(_root, hex);
            if (File.Exists(path))
            {
                continue;
            }
            var temp = path + ".tmp-" + Environment.ProcessId;
            File.WriteAllBytes(temp, file.Content.ToByteArray());
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            }
            File.Move(temp, path, overwrite: true);
        }
    }

    /// <summary>
    /// The host path of a stored file with the given mode (0 = as stored) and owner (empty = the agent's user).
    /// Modes and owners are separate files because two services may mount the same content differently.
    /// </summary>
    public string Locate(string digest, uint mode, string uid = "", string gid = "")
    {
        var hex = Hex(digest);
        var stored = Path.Combine(_root, hex);
        if (!File.Exists(stored))
        {
            throw new InvalidOperationException($"the content {digest} was not delivered with the desired state; the console must send it");
        }
        var owner = Id(uid, "uid") is var user && Id(gid, "gid") is var group && (user is not null || group is not null) ? $".{uid}-{gid}" : "";
        if (mode == 0 && owner.Length == 0)
        {
            return stored;
        }
        var variant = $"{stored}.{Convert.ToString(mode == 0 ? 0x124 : mode, 8)}{owner}";
        if (!File.Exists(variant))
        {
            var temp = variant + ".tmp-" + Environment.ProcessId;
            File.Copy(stored, temp, overwrite: true);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, (UnixFileMode)((mode == 0 ? 0x124 : mode) & 0x1FF));
                if (owner.Length > 0 && FileOwner.Change(temp, user, group) is { } error)
                {
                    File.Delete(temp);
                    throw new InvalidOperationException($"cannot give a mounted file to uid '{uid}' gid '{gid}': {error}; the agent must run as root (or with CAP_CHOWN) to set owners of secrets and configs");
                }
            }
            File.Move(temp, variant, overwrite: true);
        }
        return variant;
    }

    /// <summary>A numeric user or group id as compose writes it; null when not given.</summary>
    private static uint? Id(string value, string what) =>
        value.Length == 0 ? null
        : uint.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) && id != uint.MaxValue ? id
        : throw new InvalidOperationException($"the {what} '{value}' of a secret or config is not a numeric id");

    /// <summary>Deletes stored files no desired app refers to any more. Returns how many were deleted.</summary>
    public int Prune(IReadOnlySet<string> keepDigests)
    {
        var keep = keepDigests.Select(Hex).ToHashSet(StringComparer.Ordinal);
        var deleted = 0;
        foreach (var path in Directory.EnumerateFiles(_root))
        {
            var name = Path.GetFileName(path);
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            if (!keep.Contains(dot < 0 ? name : name[..dot]))
            {
                File.Delete(path);
                deleted++;
            }
        }
        return deleted;
    }

    private static string Hex(string digest)
    {
        var hex = digest.StartsWith("sha256:", StringComparison.Ordinal) ? digest[7..] : digest;
        if (hex.Length != 64 || !hex.All(char.IsAsciiHexDigitLower))
        {
            throw new InvalidOperationException($"'{digest}' is not a sha256 content digest");
        }
        return hex;
    }
}
