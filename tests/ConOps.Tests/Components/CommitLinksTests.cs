using Bunit;
using ConOps.Console.Components.Shared;

namespace ConOps.Tests.Components;

public sealed class CommitLinksTests : BunitContext
{
    private const string Sha = "0123456789abcdef0123456789abcdef01234567";

    [Theory]
    [InlineData("https://github.com/acme/shop", "https://github.com/acme/shop/commit/" + Sha)]
    [InlineData("https://github.com/acme/shop.git", "https://github.com/acme/shop/commit/" + Sha)]
    [InlineData("https://github.com/acme/shop/", "https://github.com/acme/shop/commit/" + Sha)]
    [InlineData("  https://GitHub.com/acme/shop.GIT  ", "https://github.com/acme/shop/commit/" + Sha)]
    [InlineData("http://gitea.lan:3000/ops/stack.git", "http://gitea.lan:3000/ops/stack/commit/" + Sha)]
    [InlineData("https://codeberg.org/ops/stack", "https://codeberg.org/ops/stack/commit/" + Sha)]
    [InlineData("https://gitlab.com/acme/shop.git", "https://gitlab.com/acme/shop/-/commit/" + Sha)]
    [InlineData("https://gitlab.example.org/platform/infra/stack", "https://gitlab.example.org/platform/infra/stack/-/commit/" + Sha)]
    [InlineData("https://bitbucket.org/acme/shop.git", "https://bitbucket.org/acme/shop/commits/" + Sha)]
    public void An_http_forge_repository_links_the_commit_to_its_page(string repoUrl, string expected) =>
        Assert.Equal(expected, CommitLinks.WebUrl(repoUrl, Sha));

    [Theory]
    [InlineData("https://deploy-bot:ghp_secret@github.com/acme/shop.git", "https://github.com/acme/shop/commit/")]
    [InlineData("https://ghp_secret@github.com/acme/shop", "https://github.com/acme/shop/commit/")]
    [InlineData("https://oauth2:glpat-secret@gitlab.com/acme/shop.git", "https://gitlab.com/acme/shop/-/commit/")]
    public void A_user_or_token_in_the_repository_url_never_reaches_the_link(string repoUrl, string expectedStart)
    {
        var link = CommitLinks.WebUrl(repoUrl, Sha);

        Assert.Equal(expectedStart + Sha, link);
        Assert.DoesNotContain("secret", link, StringComparison.Ordinal);
        Assert.DoesNotContain("@", link, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("git@github.com:acme/shop.git")]
    [InlineData("ssh://git@github.com:22/acme/shop.git")]
    [InlineData("git://git.example.org/acme/shop.git")]
    [InlineData("file:///srv/git/shop.git")]
    [InlineData("/srv/git/shop.git")]
    [InlineData("ftp://github.com/acme/shop")]
    [InlineData("https://github.com/shop.git")]
    [InlineData("https://github.com/acme/shop/tree/main")]
    [InlineData("https://gitlab.com/acme/shop/-/tree/main")]
    [InlineData("https://dev.azure.com/acme/shop/_git/stack")]
    [InlineData("https://github.com/acme/shop?tab=readme")]
    [InlineData("")]
    [InlineData(null)]
    public void Other_repository_urls_name_no_page(string? repoUrl) =>
        Assert.Null(CommitLinks.WebUrl(repoUrl, Sha));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("main")]
    [InlineData("0123456789abcdef/../x")]
    [InlineData("abc12")]
    public void Something_that_is_not_a_commit_hash_gets_no_link(string? commit) =>
        Assert.Null(CommitLinks.WebUrl("https://github.com/acme/shop", commit));

    [Theory]
    [InlineData("main@sha1:" + Sha, Sha)]
    [InlineData("release/1.2@sha1:" + Sha, Sha)]
    [InlineData("sha1:" + Sha, Sha)]
    [InlineData("removed", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void A_release_revision_names_its_commit(string? revision, string? expected) =>
        Assert.Equal(expected, CommitLinks.CommitOf(revision));

    [Fact]
    public void On_a_forge_the_short_commit_is_a_link_that_opens_its_page_with_the_full_hash_as_tooltip()
    {
        var link = Render<CommitRef>(p => p.Add(c => c.RepoUrl, "https://github.com/acme/shop.git").Add(c => c.Commit, Sha)).Find("a");

        Assert.Equal("0123456789ab", link.TextContent);
        Assert.Equal("https://github.com/acme/shop/commit/" + Sha, link.GetAttribute("href"));
        Assert.Equal(Sha, link.GetAttribute("title"));
        Assert.Equal("_blank", link.GetAttribute("target"));
        Assert.Equal("noopener noreferrer", link.GetAttribute("rel"));
    }

    [Fact]
    public void Elsewhere_the_short_commit_is_text_with_the_full_hash_as_tooltip()
    {
        var rendered = Render<CommitRef>(p => p.Add(c => c.RepoUrl, "ssh://git@git.example.org:2222/acme/shop.git").Add(c => c.Commit, Sha).Add(c => c.Text, "main@0123456789"));

        Assert.Empty(rendered.FindAll("a"));
        var text = rendered.Find("span");
        Assert.Equal("main@0123456789", text.TextContent);
        Assert.Equal(Sha, text.GetAttribute("title"));
    }

    [Fact]
    public void Without_a_commit_yet_it_shows_a_dash() =>
        Assert.Equal("—", Render<CommitRef>(p => p.Add(c => c.RepoUrl, "https://github.com/acme/shop").Add(c => c.Commit, null)).Find("span").TextContent);
}
