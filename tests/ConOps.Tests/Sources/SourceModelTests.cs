using ConOps.Console.Apps;
using ConOps.Console.Git;
using ConOps.Console.Sync;
using ConOps.Contract;

namespace ConOps.Tests.Sources;

public sealed class SourceModelTests
{
    [Theory]
    [InlineData("../other")]
    [InlineData("apps/../../x")]
    [InlineData("/etc")]
    [InlineData("~/x")]
    public void An_app_path_may_not_leave_the_repository(string path)
    {
        var app = new AppDefinition { Name = "web", RepoUrl = "/srv/repo", Path = path, Hosts = ["local"] };

        Assert.Contains("path", app.Validate().Keys);
    }

    [Fact]
    public void A_valid_app_has_no_errors_and_follows_main_by_default()
    {
        var app = new AppDefinition { Name = "web", RepoUrl = "https://git.example.com/a.git", Path = "apps/web/../web", HostSelector = new() { ["role"] = "web" } };

        Assert.Empty(app.Validate());
        Assert.Equal(GitRefKind.Branch, app.RefKind);
        Assert.Equal("main", app.RefName);
    }

    [Fact]
    public void Names_the_problems_a_user_must_fix()
    {
        var app = new AppDefinition
        {
            Name = "Web App",
            RepoUrl = "https://user:pw@git.example.com/a.git",
            Branch = "main",
            Tag = "v1",
            ComposeFiles = ["../compose.yaml"],
            Registries = [new RegistryLogin { Server = "", Username = "" }],
        };

        var errors = app.Validate();

        Assert.Equal(["composeFiles", "hosts", "name", "ref", "registries", "repoUrl"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("credentials", errors["repoUrl"][0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hxxp://git.example.com/a.git", false)]
    [InlineData("ftp://git.example.com/a.git", false)]
    [InlineData("HTTPS://git.example.com/a.git", true)]
    [InlineData("file:///srv/git/a.git", true)]
    [InlineData("git@github.com:org/app.git", true)]
    public void A_transport_ConOps_does_not_speak_is_refused_when_the_app_is_saved(string url, bool accepted)
    {
        var errors = new AppDefinition { Name = "web", RepoUrl = url, Hosts = ["local"] }.Validate();

        Assert.Equal(accepted, !errors.ContainsKey("repoUrl"));
        if (!accepted)
        {
            Assert.Contains("is not a Git transport", errors["repoUrl"][0], StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("https://ghp_0123456789abcdef@github.com/org/app.git", false)]
    [InlineData("HTTP://deploy@git.lan/app.git", false)]
    [InlineData("https://user:pass@git.lan/app.git", false)]
    [InlineData("ssh://git@git.lan:2222/app.git", true)]
    [InlineData("git@github.com:org/app.git", true)]
    public void A_user_or_token_in_an_http_url_is_refused_but_an_ssh_user_is_not(string url, bool accepted)
    {
        var errors = new AppDefinition { Name = "web", RepoUrl = url, Hosts = ["local"] }.Validate();

        Assert.Equal(accepted, !errors.ContainsKey("repoUrl"));
        if (!accepted)
        {
            Assert.Contains("credentials", errors["repoUrl"][0], StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("ssh://git@host:2222/srv/app.git", true)]
    [InlineData("git@github.com:org/app.git", true)]
    [InlineData("https://github.com/org/app.git", false)]
    [InlineData("/srv/git/app.git", false)]
    [InlineData("git://127.0.0.1:9418/app.git", false)]
    public void Recognizes_ssh_urls_in_both_spellings(string url, bool ssh) =>
        Assert.Equal(ssh, GitRepositories.IsSsh(url));

    [Fact]
    public void Explains_git_failures_by_cause()
    {
        Assert.Contains("credentials", GitRepositories.Explain("u", "too many redirects or authentication replays").Message, StringComparison.Ordinal);
        Assert.False(GitRepositories.Explain("u", "Host key verification failed.").Transient);
        Assert.Contains("known_hosts", GitRepositories.Explain("u", "Host key verification failed.").Message, StringComparison.Ordinal);
        Assert.True(GitRepositories.Explain("u", "failed to connect to 10.0.0.1: Connection refused").Transient);
        Assert.False(GitRepositories.Explain("/srv/git/missing.git", "unsupported URL protocol").Transient);
        Assert.Contains("no Git repository at that path", GitRepositories.Explain("/srv/git/missing.git", "unsupported URL protocol").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_repository_another_user_owns_is_a_lasting_error_that_names_the_console_uid_and_both_fixes()
    {
        var error = GitRepositories.Explain("/repos/web", "repository path '/repos/web' is not owned by current user", "10001");

        Assert.False(error.Transient);
        Assert.Contains("uid 10001", error.Message, StringComparison.Ordinal);
        Assert.Contains("chown -R 10001 /repos/web", error.Message, StringComparison.Ordinal);
        Assert.Contains("safe.directory /repos/web", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot reach", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ownership_advice_names_the_uid_this_process_runs_as()
    {
        // The same number `id -u` prints for this process.
        using var id = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("id", "-u") { RedirectStandardOutput = true })!;
        var uid = id.StandardOutput.ReadToEnd().Trim();
        id.WaitForExit();

        Assert.Equal(uid, GitRepositories.CurrentUser);
        Assert.Contains($"chown -R {uid} /srv/git/web", GitRepositories.Explain("file:///srv/git/web", "repository path '/srv/git/web' is not owned by current user").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Retries_back_off_exponentially_with_bounded_jitter()
    {
        var min = TimeSpan.FromSeconds(10);
        var max = TimeSpan.FromMinutes(10);

        Assert.Equal(TimeSpan.FromSeconds(10), SourceStatus.RetryDelay(1, min, max, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(40), SourceStatus.RetryDelay(3, min, max, 0.5));
        Assert.Equal(max, SourceStatus.RetryDelay(30, min, max, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(8), SourceStatus.RetryDelay(1, min, max, 0));
        Assert.Equal(TimeSpan.FromSeconds(12), SourceStatus.RetryDelay(1, min, max, 1));
    }

    [Fact]
    public void The_plan_names_each_service_change_and_its_fields()
    {
        var before = State(("web", "nginx:1", "sha256:" + new string('1', 64), "A"), ("db", "postgres:16", "", "x"), ("old", "busybox", "", ""));
        var after = State(("web", "nginx:1", "sha256:" + new string('2', 64), "A"), ("db", "postgres:16", "", "y"), ("new", "redis:7", "", ""));

        var plan = ChangePlan.Between(before, after);

        Assert.True(plan.HasChanges);
        Assert.Equal(["db", "new", "web", "old"], plan.Services.Select(s => s.Service));
        Assert.Equal(["change", "add", "change", "remove"], plan.Services.Select(s => s.Kind));
        Assert.Equal(["environment"], plan.Services[0].Fields);
        Assert.Equal(["imageDigest"], plan.Services[2].Fields);
        Assert.Equal("sha256:" + new string('1', 64), plan.Services[2].DigestBefore);
        Assert.Equal("db: change (environment); new: add; web: change (imageDigest); old: remove", plan.Summary);
    }

    [Fact]
    public void A_new_revision_with_the_same_services_is_the_same_deployment()
    {
        var a = State(("web", "nginx:1", "", "A"));
        var b = State(("web", "nginx:1", "", "A"));
        b.Revision = "main@sha1:other";

        Assert.True(ChangePlan.SameDeployment(a, b));
        Assert.False(ChangePlan.Between(a, b).HasChanges);
        b.Policy.Prune = false;
        Assert.False(ChangePlan.SameDeployment(a, b));
        Assert.Equal(["policy"], ChangePlan.Between(a, b).AppFields);
    }

    private static AppDesiredState State(params (string Name, string Image, string Digest, string Env)[] services)
    {
        var state = new AppDesiredState { App = "app", Revision = "main@sha1:abc", Policy = new SyncPolicy { Prune = true, SelfHeal = true } };
        foreach (var (name, image, digest, env) in services)
        {
            var spec = new ServiceSpec { Name = name, Image = image, ImageDigest = digest };
            if (env.Length > 0)
            {
                spec.Environment["V"] = env;
            }
            state.Services.Add(new DesiredService { Spec = spec, ConfigHash = ConfigHash.Compute(spec) });
        }
        return state;
    }
}
