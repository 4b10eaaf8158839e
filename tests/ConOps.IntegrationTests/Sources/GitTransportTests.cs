using ConOps.Console;
using ConOps.Console.Apps;
using ConOps.Console.Git;
using ConOps.Console.Sync;
using ConOps.IntegrationTests.Support;
using Microsoft.Extensions.Options;

namespace ConOps.IntegrationTests.Sources;

/// <summary>
/// The console's Git side against the real servers: a bare repository by path, git daemon, smart HTTP with Basic
/// auth, and sshd with a key and strict known_hosts checking.
/// </summary>
public sealed class GitTransportTests : IDisposable
{
    private readonly string _name = "src-" + Guid.NewGuid().ToString("N")[..8];
    private readonly GitRepo _work = new();
    private readonly string _data = Path.Combine(Path.GetTempPath(), "conops-git-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _bare;
    private readonly SshCommands _ssh;
    private readonly GitRepositories _git;

    public GitTransportTests()
    {
        _bare = Path.Combine(TestEnvironment.Require("CONOPS_TEST_GIT_ROOT"), _name + ".git");
        var console = Options.Create(new ConsoleOptions { DataDirectory = _data });
        var emptyKnownHosts = Path.Combine(_data, "empty_known_hosts");
        Directory.CreateDirectory(_data);
        File.WriteAllText(emptyKnownHosts, "");
        _ssh = new SshCommands(console, Options.Create(new SourcesOptions { KnownHostsFile = emptyKnownHosts }));
        _git = new GitRepositories(console, _ssh);
    }

    public static TheoryData<string> Transports => ["path", "daemon", "http", "ssh"];

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Follows_a_branch_and_exports_the_app_folder(string transport)
    {
        var first = Publish("first", ("apps/web/compose.yaml", "services: {}\n"));
        var source = Source(transport);

        var listed = await _git.RemoteTargetAsync(source, GitRefKind.Branch, "main", default);
        var commit = await _git.FetchAsync(source, GitRefKind.Branch, "main", default);
        var checkout = Path.Combine(_data, "checkout");
        await _git.ExportAsync(source.Url, commit.Sha, "apps/web", checkout, default);

        Assert.Equal(first, listed);
        Assert.Equal(first, commit.Sha);
        Assert.Equal("first", commit.Message);
        Assert.Equal("services: {}\n", File.ReadAllText(Path.Combine(checkout, "compose.yaml")));

        var second = Publish("second", ("apps/web/compose.yaml", "services: {x: {image: a}}\n"));
        Assert.Equal(second, await _git.RemoteTargetAsync(source, GitRefKind.Branch, "main", default));
        Assert.Null(await _git.RemoteTargetAsync(source, GitRefKind.Branch, "no-such-branch", default));
    }

    [Fact]
    public async Task Follows_tags_and_pinned_commits()
    {
        var tagged = Publish("release", ("compose.yaml", "services: {}\n"));
        _work.Git("tag", "-a", "v1", "-m", "v1");
        Publish("later", ("compose.yaml", "services: {a: {image: b}}\n"));
        _work.Git("push", "-q", "--tags", _bare);
        var source = Source("path");

        Assert.Equal(tagged, await _git.RemoteTargetAsync(source, GitRefKind.Tag, "v1", default));
        Assert.Equal(tagged, (await _git.FetchAsync(source, GitRefKind.Tag, "v1", default)).Sha);
        Assert.Equal(tagged, (await _git.FetchAsync(source, GitRefKind.Commit, tagged[..10], default)).Sha);
        var missing = await Assert.ThrowsAsync<GitSourceException>(() => _git.FetchAsync(source, GitRefKind.Tag, "v9", default));
        Assert.Contains("tag 'v9' does not exist", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_http_credentials_say_so()
    {
        Publish("first", ("compose.yaml", "services: {}\n"));
        var url = $"{TestEnvironment.Require("CONOPS_TEST_GIT_HTTP")}/{_name}.git";

        var wrong = await Assert.ThrowsAsync<GitSourceException>(() =>
            _git.RemoteTargetAsync(new GitSource(url, new GitAuth { Username = "conops", Password = "not-the-password" }), GitRefKind.Branch, "main", default));
        var none = await Assert.ThrowsAsync<GitSourceException>(() => _git.RemoteTargetAsync(new GitSource(url, null), GitRefKind.Branch, "main", default));

        Assert.True(wrong.Message.Contains("credentials", StringComparison.Ordinal), wrong.Message);
        Assert.DoesNotContain("not-the-password", wrong.Message, StringComparison.Ordinal);
        Assert.False(wrong.Transient, wrong.Message);
        Assert.Contains("credentials", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ssh_server_missing_from_known_hosts_is_refused()
    {
        Publish("first", ("compose.yaml", "services: {}\n"));
        var url = $"{TestEnvironment.Require("CONOPS_TEST_GIT_SSH")}{_bare}";
        var keyOnly = new GitAuth { SshPrivateKey = File.ReadAllText(TestEnvironment.Require("CONOPS_TEST_SSH_KEY")) };

        var refused = await Assert.ThrowsAsync<GitSourceException>(() => _git.RemoteTargetAsync(new GitSource(url, keyOnly), GitRefKind.Branch, "main", default));

        Assert.True(refused.Message.Contains("known_hosts", StringComparison.Ordinal), refused.Message);
        Assert.False(refused.Transient, refused.Message);
    }

    [Fact]
    public async Task An_unreachable_server_is_a_transient_error()
    {
        var url = $"git://127.0.0.1:{ConsoleProcess.FreePort()}/{_name}.git";

        var error = await Assert.ThrowsAsync<GitSourceException>(() => _git.RemoteTargetAsync(new GitSource(url, null), GitRefKind.Branch, "main", default));

        Assert.True(error.Transient, error.Message);
        Assert.Contains(url, error.Message, StringComparison.Ordinal);
    }

    private GitSource Source(string transport) => transport switch
    {
        "path" => new GitSource(_bare, null),
        "daemon" => new GitSource($"{TestEnvironment.Require("CONOPS_TEST_GIT_DAEMON")}/{_name}.git", null),
        "http" => new GitSource($"{TestEnvironment.Require("CONOPS_TEST_GIT_HTTP")}/{_name}.git",
            new GitAuth { Username = TestEnvironment.Require("CONOPS_TEST_GIT_HTTP_USER"), Password = TestEnvironment.Require("CONOPS_TEST_GIT_HTTP_PASSWORD") }),
        "ssh" => new GitSource($"{TestEnvironment.Require("CONOPS_TEST_GIT_SSH")}{_bare}", new GitAuth
        {
            SshPrivateKey = File.ReadAllText(TestEnvironment.Require("CONOPS_TEST_SSH_KEY")),
            SshKnownHosts = File.ReadAllText(TestEnvironment.Require("CONOPS_TEST_SSH_KNOWN_HOSTS")),
        }),
        _ => throw new ArgumentOutOfRangeException(nameof(transport)),
    };

    /// <summary>Commits in the work repository and pushes to the served bare repository.</summary>
    private string Publish(string message, params (string File, string Content)[] files)
    {
        if (!Directory.Exists(_bare))
        {
            System.Diagnostics.Process.Start("git", ["init", "-q", "--bare", "-b", "main", _bare])!.WaitForExit();
        }
        var sha = _work.Commit(message, files);
        _work.Git("push", "-q", _bare, "main");
        return sha;
    }

    public void Dispose()
    {
        _ssh.Dispose();
        _work.Dispose();
        foreach (var dir in new[] { _bare, _data })
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
