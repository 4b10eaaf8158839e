using System.Security.Cryptography;
using System.Text;
using ConOps.Console.Apps;
using ConOps.Console.Sync;
using Microsoft.Extensions.Options;

namespace ConOps.Console.Git;

/// <summary>
/// Writes one small ssh wrapper per SSH identity for libgit2 to run (core.sshCommand takes a command without
/// arguments). The decrypted key lives only in a private runtime folder in memory (/dev/shm when available),
/// readable by the console's user alone, and is removed when the console stops.
/// </summary>
public sealed class SshCommands(IOptions<ConsoleOptions> console, IOptions<SourcesOptions> sources) : IDisposable
{
    private readonly Lock _gate = new();
    private string? _root;

    /// <summary>The path of the wrapper to use as core.sshCommand for these credentials.</summary>
    public string Prepare(GitAuth? auth)
    {
        lock (_gate)
        {
            var key = auth?.SshPrivateKey is { Length: > 0 } k ? k.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd() + "\n" : null;
            var knownHosts = auth?.SshKnownHosts is { Length: > 0 } kh ? kh.Trim() + "\n" : null;
            var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{key}\n{knownHosts}\n{sources.Value.KnownHostsFile}")))[..16];
            var folder = Path.Combine(Root(), id);
            var wrapper = Path.Combine(folder, "ssh");
            if (File.Exists(wrapper))
            {
                return wrapper;
            }
            Directory.CreateDirectory(folder);
            SetMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var args = new StringBuilder("exec ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=15");
            if (key is not null)
            {
                var keyFile = Path.Combine(folder, "id");
                WritePrivate(keyFile, key);
                args.Append(" -o IdentitiesOnly=yes -i ").Append(Quote(keyFile));
            }
            var knownHostsFile = ExpandHome(sources.Value.KnownHostsFile);
            if (knownHosts is not null)
            {
                knownHostsFile = Path.Combine(folder, "known_hosts");
                WritePrivate(knownHostsFile, knownHosts);
            }
            // libgit2 reports only "could not read refs": keep ssh's own words for the error message.
            args.Append(" -o UserKnownHostsFile=").Append(Quote(knownHostsFile)).Append(" -o LogLevel=ERROR \"$@\" 2>").Append(Quote(Path.Combine(folder, "stderr"))).Append('\n');
            WritePrivate(wrapper + ".tmp", "#!/bin/sh\n" + args);
            SetMode(wrapper + ".tmp", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.Move(wrapper + ".tmp", wrapper, overwrite: true);
            return wrapper;
        }
    }

    /// <summary>What ssh last printed to stderr for these credentials (bounded), or an empty string.</summary>
    public string LastError(GitAuth? auth)
    {
        var wrapper = Prepare(auth);
        var file = Path.Combine(Path.GetDirectoryName(wrapper)!, "stderr");
        if (!File.Exists(file))
        {
            return "";
        }
        var text = File.ReadAllText(file).Trim();
        return text.Length > 500 ? text[^500..] : text;
    }

    private string Root()
    {
        if (_root is not null)
        {
            return _root;
        }
        var data = Path.GetFullPath(console.Value.DataDirectory);
        var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(data)))[..12];
        var memory = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.Combine(data, "run");
        _root = Path.Combine(memory, $"conops-ssh-{Environment.ProcessId}-{id}");
        Directory.CreateDirectory(_root);
        SetMode(_root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return _root;
    }

    private static void WritePrivate(string path, string content)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // Created private: the key is never readable by others, not even for a moment.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(path, options))
        {
            stream.Write(Encoding.UTF8.GetBytes(content));
        }
        SetMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private static void SetMode(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string ExpandHome(string path) =>
        path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[2..]) : path;

    public void Dispose()
    {
        lock (_gate)
        {
            if (_root is not null && Directory.Exists(_root))
            {
                Directory.Delete(_root, recursive: true);
            }
        }
    }
}
