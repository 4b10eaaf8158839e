using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using LibGit2Sharp;
using Microsoft.Extensions.Options;

namespace ConOps.Console.Git;

/// <summary>A commit as the console records it.</summary>
public sealed record GitCommit(string Sha, string Message, string Author, DateTimeOffset When);

/// <summary>
/// One bare clone per repository URL, shared by every app that uses it. Apps read their folder from a
/// commit's tree (exported to a checkout folder), so apps on different branches never fight over a work tree.
/// </summary>
public sealed class GitRepositories(IOptions<ConsoleOptions> options)
{
    /// <summary>Upper bound for one app's exported folder, so a huge repository cannot fill the disk.</summary>
    public const long MaxExportBytes = 64L * 1024 * 1024;

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    /// <summary>The commit the remote branch points at, without fetching anything (one ref listing).</summary>
    public static string? RemoteHead(string url, string branch)
    {
        foreach (var reference in Repository.ListRemoteReferences(url))
        {
            if (reference.CanonicalName == $"refs/heads/{branch}")
            {
                return reference.TargetIdentifier;
            }
        }
        return null;
    }

    /// <summary>Clones or fetches the repository and returns the branch's newest commit.</summary>
    public async Task<GitCommit> FetchAsync(string url, string branch, CancellationToken ct)
    {
        var gate = _locks.GetOrAdd(url, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            return await Task.Run(() => Fetch(url, branch), ct);
        }
        finally
        {
            gate.Release();
        }
    }

    private GitCommit Fetch(string url, string branch)
    {
        var path = ClonePath(url);
        if (!Repository.IsValid(path))
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
            Repository.Clone(url, path, new CloneOptions { IsBare = true });
        }
        using var repo = new Repository(path);
        Commands.Fetch(repo, "origin", ["+refs/heads/*:refs/remotes/origin/*"], new FetchOptions { Prune = true }, "conops fetch");
        var tip = repo.Branches[$"origin/{branch}"]?.Tip
            ?? throw new GitSourceException($"branch '{branch}' does not exist in {url}");
        return new GitCommit(tip.Sha, tip.MessageShort, $"{tip.Author.Name} <{tip.Author.Email}>", tip.Author.When);
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
                var commit = repo.Lookup<Commit>(sha) ?? throw new GitSourceException($"commit {sha} is not in the clone of {url}");
                Tree? tree = commit.Tree;
                if (relative.Length > 0)
                {
                    tree = commit[relative]?.Target as Tree
                        ?? throw new GitSourceException($"folder '{folder}' does not exist at {sha[..12]}");
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
                        throw new GitSourceException($"the app folder is larger than {MaxExportBytes / 1024 / 1024} MiB");
                    }
                    using (var content = blob.GetContentStream())
                    using (var file = File.Create(destination))
                    {
                        content.CopyTo(file);
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
                    throw new GitSourceException($"path '{folder}' leaves the repository");
                }
                parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    private string ClonePath(string url)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(url)))[..16];
        return Path.Combine(options.Value.DataDirectory, "repos", key);
    }
}

/// <summary>A Git problem the user must fix (missing branch, folder, ...), as opposed to a transient failure.</summary>
public sealed class GitSourceException(string message) : Exception(message);
