using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using ConOps.Console.Apps;
using LibGit2Sharp;
using LibGit2Sharp.Handlers;
using Microsoft.Extensions.Options;

namespace ConOps.Console.Git;

/// <summary>A commit as the console records it.</summary>
public sealed record GitCommit(string Sha, string Message, string Author, DateTimeOffset When);

/// <summary>A repository and the credentials to read it.</summary>
public sealed record GitSource(string Url, GitAuth? Auth)
{
    /// <summary>Identifies the repository and its credentials without revealing them (poll grouping, caches).</summary>
    public string Key => Auth is null ? Url : $"{Url}#{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{Auth.Username}\n{Auth.Password}\n{Auth.Token}\n{Auth.SshPrivateKey}\n{Auth.SshKnownHosts}")))[..12]}";
}

/// <summary>
/// One bare clone per repository URL, shared by every app that uses it. Apps read their folder from a
/// commit's tree (exported to a checkout folder), so apps on different branches never fight over a work tree.
/// HTTPS uses user/password or a token; SSH runs the system ssh with the app's key and strict known_hosts checking.
/// </summary>
public sealed class GitRepositories(IOptions<ConsoleOptions> options, SshCommands ssh)
{
    /// <summary>Upper bound for one app's exported folder, so a huge repository cannot fill the disk.</summary>
    public const long MaxExportBytes = 64L * 1024 * 1024;

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _ready = new(StringComparer.Ordinal);

    /// <summary>
    /// Where the followed reference points now, from one reference listing (nothing is downloaded).
    /// Null when the branch or tag does not exist. A pinned commit is returned as is.
    /// </summary>
    public async Task<string?> RemoteTargetAsync(GitSource source, GitRefKind kind, string refName, CancellationToken ct)
    {
        if (kind == GitRefKind.Commit)
        {
            return refName;
        }
        await EnsureCloneAsync(source, ct);
        return await Task.Run(() =>
        {
            using var repo = new Repository(ClonePath(source.Url));
            var remote = repo.Network.Remotes["origin"];
            var references = Guard(source, credentials => repo.Network.ListReferences(remote, credentials).ToList());
            if (kind == GitRefKind.Branch)
            {
                return references.FirstOrDefault(r => r.CanonicalName == $"refs/heads/{refName}")?.TargetIdentifier;
            }
            // An annotated tag lists twice: the tag object and, with ^{}, the commit it points at.
            return (references.FirstOrDefault(r => r.CanonicalName == $"refs/tags/{refName}^{{}}")
                ?? references.FirstOrDefault(r => r.CanonicalName == $"refs/tags/{refName}"))?.TargetIdentifier;
        }, ct);
    }

    /// <summary>Fetches the repository and returns the commit the followed reference names.</summary>
    public async Task<GitCommit> FetchAsync(GitSource source, GitRefKind kind, string refName, CancellationToken ct)
    {
        await EnsureCloneAsync(source, ct);
        var gate = _locks.GetOrAdd(source.Url, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            return await Task.Run(() =>
            {
                using var repo = new Repository(ClonePath(source.Url));
                Guard(source, credentials =>
                {
                    Commands.Fetch(repo, "origin", ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"],
                        new FetchOptions { Prune = true, CredentialsProvider = credentials, TagFetchMode = TagFetchMode.None }, "conops fetch");
                    return true;
                });
                var commit = kind switch
                {
                    GitRefKind.Branch => repo.Branches[$"origin/{refName}"]?.Tip
                        ?? throw new GitSourceException($"branch '{refName}' does not exist in {source.Url}", transient: false),
                    GitRefKind.Tag => repo.Tags[refName]?.PeeledTarget as Commit
                        ?? throw new GitSourceException($"tag '{refName}' does not exist in {source.Url} (or does not point at a commit)", transient: false),
                    _ => repo.Lookup<Commit>(refName)
                        ?? throw new GitSourceException($"commit {refName} does not exist in {source.Url}", transient: false),
                };
                return new GitCommit(commit.Sha, commit.MessageShort, $"{commit.Author.Name} <{commit.Author.Email}>", commit.Author.When);
            }, ct);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Writes the files under <paramref name="folder"/> of a commit into <paramref name="target"/>, replacing what was
    /// there. The folder may not leave the repository.
    /// </summary>
    public async Task ExportAsync(string url, string sha, string folder, string target, CancellationToken ct)
    {
        var relative = NormalizeFolder(folder);
        var gate = _locks.GetOrAdd(url, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            await Task.Run(() =>
            {
                using var repo = new Repository(ClonePath(url));
                var commit = repo.Lookup<Commit>(sha) ?? throw new GitSourceException($"commit {sha} is not in the clone of {url}", transient: true);
                Tree? tree = commit.Tree;
                if (relative.Length > 0)
                {
                    tree = commit[relative]?.Target as Tree
                        ?? throw new GitSourceException($"folder '{folder}' does not exist at {sha[..12]}", transient: false);
                }
                var staging = target + ".new";
                if (Directory.Exists(staging))
                {
                    Directory.Delete(staging, recursive: true);
                }
                long written = 0;
                WriteTree(tree, staging, ref written);
                if (Directory.Exists(target))
                {
                    Directory.Delete(target, recursive: true);
                }
                Directory.Move(staging, target);
            }, ct);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The content of one file of a commit (the fleet file), bounded by <paramref name="maxBytes"/>.</summary>
    public async Task<string> ReadFileAsync(string url, string sha, string path, long maxBytes, CancellationToken ct)
    {
        var relative = NormalizeFolder(path);
        return await Task.Run(() =>
        {
            using var repo = new Repository(ClonePath(url));
            var commit = repo.Lookup<Commit>(sha) ?? throw new GitSourceException($"commit {sha} is not in the clone of {url}", transient: true);
            var blob = commit[relative]?.Target as Blob ?? throw new GitSourceException($"file '{path}' does not exist at {sha[..12]}", transient: false);
            if (blob.Size > maxBytes)
            {
                throw new GitSourceException($"file '{path}' is larger than {maxBytes / 1024} KiB", transient: false);
            }
            return blob.GetContentText();
        }, ct);
    }

    private async Task EnsureCloneAsync(GitSource source, CancellationToken ct)
    {
        // Polls call this for every listing: once a clone is set up for these credentials, it stays set up.
        var sshCommand = IsSsh(source.Url) ? ssh.Prepare(source.Auth) : "";
        if (_ready.TryGetValue(source.Url, out var readyFor) && readyFor == sshCommand && Directory.Exists(ClonePath(source.Url)))
        {
            return;
        }
        var gate = _locks.GetOrAdd(source.Url, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            var path = ClonePath(source.Url);
            if (!Repository.IsValid(path))
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                }
                Repository.Init(path, isBare: true);
            }
            using var repo = new Repository(path);
            if (repo.Network.Remotes["origin"] is null)
            {
                repo.Network.Remotes.Add("origin", source.Url);
            }
            else if (repo.Network.Remotes["origin"].Url != source.Url)
            {
                repo.Network.Remotes.Update("origin", r => r.Url = source.Url);
            }
            // libgit2 runs the system ssh; the wrapper carries this app's key and known_hosts (the credentials
            // callback is never asked for SSH). Set every time: the key may have been changed.
            if (IsSsh(source.Url))
            {
                repo.Config.Set("core.sshCommand", sshCommand);
            }
            _ready[source.Url] = sshCommand;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// The credentials callback. libgit2 turns an exception thrown here into its own terse error, so the real cause
    /// is kept in <paramref name="failure"/> and rethrown by <see cref="Guard{T}"/>.
    /// </summary>
    private static CredentialsHandler Credentials(GitSource source, CallbackFailure failure)
    {
        var secret = source.Auth?.Token is { Length: > 0 } token ? token : source.Auth?.Password;
        if (string.IsNullOrEmpty(secret) || IsSsh(source.Url))
        {
            // Asked only when the server wants credentials the app does not have.
            return (_, _, _) => throw failure.Set(new GitSourceException($"{source.Url} requires credentials: give the app a user name and token or password (git.username, git.token)", transient: false));
        }
        var user = source.Auth?.Username is { Length: > 0 } name ? name : "x-access-token";
        var attempts = 0;
        return (_, _, _) =>
        {
            // libgit2 asks again after each refusal; one refusal is an answer.
            if (++attempts > 1)
            {
                throw failure.Set(new GitSourceException($"{source.Url} refused the credentials of user '{user}' (check the user name and token/password)", transient: false));
            }
            return new UsernamePasswordCredentials { Username = user, Password = secret };
        };
    }

    private sealed class CallbackFailure
    {
        public GitSourceException? Error { get; private set; }

        public GitSourceException Set(GitSourceException error) => Error = error;
    }

    /// <summary>ssh://... or scp-style user@host:path.</summary>
    public static bool IsSsh(string url) =>
        url.StartsWith("ssh://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("git+ssh://", StringComparison.OrdinalIgnoreCase)
        || (!url.Contains("://", StringComparison.Ordinal) && System.Text.RegularExpressions.Regex.IsMatch(url, @"^[\w.-]+@[\w.-]+:"));

    /// <summary>Runs a network operation and turns libgit2's terse errors into a cause a user can act on.</summary>
    private T Guard<T>(GitSource source, Func<CredentialsHandler, T> action)
    {
        var failure = new CallbackFailure();
        try
        {
            return action(Credentials(source, failure));
        }
        catch (LibGit2SharpException ex)
        {
            if (failure.Error is not null)
            {
                throw failure.Error;
            }
            var sshSays = IsSsh(source.Url) ? ssh.LastError(source.Auth) : "";
            throw Explain(source.Url, sshSays.Length > 0 ? $"{ex.Message}: {sshSays}" : ex.Message);
        }
    }

    public static GitSourceException Explain(string url, string message) => Explain(url, message, CurrentUser);

    /// <summary>Turns a Git failure into a message that says what to do; <c>consoleUser</c> (a uid) is named in ownership advice.</summary>
    public static GitSourceException Explain(string url, string message, string consoleUser)
    {
        static bool Has(string text, string part) => text.Contains(part, StringComparison.OrdinalIgnoreCase);
        return message switch
        {
            // libgit2 refuses a local repository another user owns (CVE-2022-24765); retrying never helps.
            _ when Has(message, "not owned by current user") => NotOwned(url, message, consoleUser),
            _ when Has(message, "Host key verification failed") => new($"the SSH host key of {url} is not trusted: add the server's known_hosts line to the app (git.sshKnownHosts) ({message.Trim()})", transient: false),
            _ when Has(message, "Permission denied") => new($"{url} refused the SSH key ({message.Trim()})", transient: false),
            _ when Has(message, "401") || Has(message, "authentication") || Has(message, "replays") => new($"{url} requires valid credentials: authentication failed ({message.Trim()})", transient: false),
            // libgit2 reads a local path that does not exist as a URL with an unknown scheme.
            _ when Has(message, "unsupported URL protocol") && (url.StartsWith('/') || url.StartsWith("file://", StringComparison.OrdinalIgnoreCase)) => new($"repository {url} does not exist: there is no Git repository at that path on the console's machine", transient: false),
            _ when Has(message, "404") || Has(message, "not found") || Has(message, "does not appear to be a git repository") || Has(message, "could not find repository") => new($"repository {url} does not exist or is not readable ({message.Trim()})", transient: false),
            _ => new($"cannot reach repository {url}: {message.Trim()}", transient: true),
        };
    }

    private static GitSourceException NotOwned(string url, string message, string consoleUser)
    {
        var match = System.Text.RegularExpressions.Regex.Match(message, "path '(?<path>[^']+)'");
        var path = match.Success ? match.Groups["path"].Value : url;
        return new(
            $"repository {path} belongs to another user: Git reads only repositories owned by the user the console runs as (uid {consoleUser}). " +
            $"Fix it with `chown -R {consoleUser} {path}` (on the machine that holds the folder, the path as mounted there), " +
            $"or mark it safe for that user with `git config --global --add safe.directory {path}` ({message.Trim()})",
            transient: false);
    }

    /// <summary>The effective uid of this process (what `id -u` prints for it); the user name where there is no /proc.</summary>
    public static string CurrentUser { get; } = ConOps.Shared.ProcessUser.EffectiveUid ?? Environment.UserName;

    private static void WriteTree(Tree tree, string directory, ref long written)
    {
        Directory.CreateDirectory(directory);
        foreach (var entry in tree)
        {
            var destination = Path.Combine(directory, entry.Name);
            switch (entry.TargetType)
            {
                case TreeEntryTargetType.Tree:
                    WriteTree((Tree)entry.Target, destination, ref written);
                    break;
                case TreeEntryTargetType.Blob when entry.Mode != Mode.SymbolicLink:
                    var blob = (Blob)entry.Target;
                    written += blob.Size;
                    if (written > MaxExportBytes)
                    {
                        throw new GitSourceException($"the app folder is larger than {MaxExportBytes / 1024 / 1024} MiB", transient: false);
                    }
                    using (var content = blob.GetContentStream())
                    using (var file = File.Create(destination))
                    {
                        content.CopyTo(file);
                    }
                    if (entry.Mode == Mode.ExecutableFile && !OperatingSystem.IsWindows())
                    {
                        // Scripts mounted from the repository must stay runnable.
                        File.SetUnixFileMode(destination, File.GetUnixFileMode(destination) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
                    }
                    break;
                default:
                    // Symbolic links and submodules could point outside the checkout: not exported.
                    break;
            }
        }
    }

    /// <summary>"." or "" for the root; otherwise a relative path that stays inside the repository.</summary>
    public static string NormalizeFolder(string folder)
    {
        var parts = new List<string>();
        foreach (var part in (folder ?? "").Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    throw new GitSourceException($"path '{folder}' leaves the repository", transient: false);
                }
                parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        if (Path.IsPathRooted(folder ?? ""))
        {
            throw new GitSourceException($"path '{folder}' leaves the repository", transient: false);
        }
        return string.Join('/', parts);
    }

    private string ClonePath(string url)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(url)))[..16];
        return Path.Combine(options.Value.DataDirectory, "repos", key);
    }
}

/// <summary>A Git problem with its cause; <see cref="Transient"/> when retrying later may help (network), false when the user must act.</summary>
public sealed class GitSourceException(string message, bool transient) : Exception(message)
{
    public bool Transient { get; } = transient;
}
