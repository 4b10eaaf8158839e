using System.Text;
using ConOps.Console.Webhooks;

namespace ConOps.Tests.Sources;

public sealed class WebhookTests
{
    private const string Secret = "s3cret";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"ref":"refs/heads/main","repository":{"clone_url":"https://git.example.com/team/app.git","ssh_url":"git@git.example.com:team/app.git"}}""");

    [Fact]
    public void Accepts_a_github_signature_made_with_the_shared_secret() =>
        Assert.True(WebhookSignature.VerifyGitHub(Secret, Body, "sha256=" + WebhookSignature.Sign(Secret, Body)));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sha1=abc")]
    [InlineData("sha256=zz")]
    public void Refuses_missing_or_malformed_github_signatures(string? header) =>
        Assert.False(WebhookSignature.VerifyGitHub(Secret, Body, header));

    [Fact]
    public void Refuses_a_signature_made_with_another_secret() =>
        Assert.False(WebhookSignature.VerifyGitHub(Secret, Body, "sha256=" + WebhookSignature.Sign("other", Body)));

    [Fact]
    public void Refuses_a_signature_of_another_body()
    {
        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Body).Replace("main", "evil", StringComparison.Ordinal));

        Assert.False(WebhookSignature.VerifyGitHub(Secret, tampered, "sha256=" + WebhookSignature.Sign(Secret, Body)));
    }

    [Fact]
    public void Checks_gitea_hex_signatures_and_gitlab_tokens()
    {
        Assert.True(WebhookSignature.VerifyGitea(Secret, Body, WebhookSignature.Sign(Secret, Body)));
        Assert.False(WebhookSignature.VerifyGitea(Secret, Body, WebhookSignature.Sign("x", Body)));
        Assert.True(WebhookSignature.VerifyGitLab(Secret, Secret));
        Assert.False(WebhookSignature.VerifyGitLab(Secret, "s3cre"));
        Assert.False(WebhookSignature.VerifyGitLab(Secret, null));
    }

    [Fact]
    public void Reads_the_repository_urls_and_ref_of_github_and_gitlab_pushes()
    {
        var github = WebhookPush.Parse(Body);
        var gitlab = WebhookPush.Parse(Encoding.UTF8.GetBytes("""{"object_kind":"push","ref":"refs/tags/v1","project":{"git_http_url":"https://gitlab.example.com/g/app.git","git_ssh_url":"git@gitlab.example.com:g/app.git"}}"""));

        Assert.Equal("refs/heads/main", github.Ref);
        Assert.Contains("https://git.example.com/team/app.git", github.RepositoryUrls);
        Assert.Equal("refs/tags/v1", gitlab.Ref);
        Assert.Contains("git@gitlab.example.com:g/app.git", gitlab.RepositoryUrls);
    }

    [Theory]
    [InlineData("https://git.example.com/team/app.git", "git.example.com/team/app")]
    [InlineData("https://user@Git.Example.com/team/app/", "git.example.com/team/app")]
    [InlineData("ssh://git@git.example.com:2222/team/app.git", "git.example.com/team/app")]
    [InlineData("git@git.example.com:team/app.git", "git.example.com/team/app")]
    [InlineData("/srv/git/app.git", "/srv/git/app")]
    public void Spells_every_url_of_one_repository_the_same(string url, string normalized) =>
        Assert.Equal(normalized, WebhookPush.NormalizeUrl(url));
}
