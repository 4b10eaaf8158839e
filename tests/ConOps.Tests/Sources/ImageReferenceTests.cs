using ConOps.Console.Registry;

namespace ConOps.Tests.Sources;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("nginx", "docker.io", "library/nginx", "latest", "registry-1.docker.io")]
    [InlineData("nginx:1.27", "docker.io", "library/nginx", "1.27", "registry-1.docker.io")]
    [InlineData("docker.io/nginx", "docker.io", "library/nginx", "latest", "registry-1.docker.io")]
    [InlineData("docker.io/library/nginx:1", "docker.io", "library/nginx", "1", "registry-1.docker.io")]
    [InlineData("index.docker.io/library/nginx", "docker.io", "library/nginx", "latest", "registry-1.docker.io")]
    [InlineData("grafana/grafana:11", "docker.io", "grafana/grafana", "11", "registry-1.docker.io")]
    [InlineData("ghcr.io/org/app:v2", "ghcr.io", "org/app", "v2", "ghcr.io")]
    [InlineData("127.0.0.1:5001/conops/web:1", "127.0.0.1:5001", "conops/web", "1", "127.0.0.1:5001")]
    [InlineData("registry.local:5000/team/sub/app", "registry.local:5000", "team/sub/app", "latest", "registry.local:5000")]
    [InlineData("localhost/app:dev", "localhost", "app", "dev", "localhost")]
    public void Normalizes_every_spelling_to_one_registry_repository_and_tag(string image, string registry, string repository, string tag, string apiHost)
    {
        var reference = ImageReference.Parse(image);

        Assert.Equal(registry, reference.Registry);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
        Assert.Equal(apiHost, reference.ApiHost);
        Assert.Null(reference.Digest);
    }

    [Fact]
    public void Keeps_a_pinned_digest()
    {
        var digest = "sha256:" + new string('a', 64);

        var reference = ImageReference.Parse($"ghcr.io/org/app:1@{digest}");

        Assert.Equal(digest, reference.Digest);
        Assert.Equal("1", reference.Tag);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Nginx")]
    [InlineData("nginx:")]
    [InlineData("app@sha256:short")]
    [InlineData("with space")]
    public void Refuses_what_is_not_a_reference(string image) =>
        Assert.Throws<FormatException>(() => ImageReference.Parse(image));

    [Theory]
    [InlineData("127.0.0.1:5001", true)]
    [InlineData("localhost:5000", true)]
    [InlineData("[::1]:5000", true)]
    [InlineData("registry.local:5000", false)]
    [InlineData("docker.io", false)]
    public void Speaks_plain_http_only_to_loopback_registries(string registry, bool loopback) =>
        Assert.Equal(loopback, ImageReference.Parse($"{registry}/app:1").IsLoopback);

    [Theory]
    [InlineData("https://index.docker.io/v1/", "docker.io")]
    [InlineData("registry-1.docker.io", "docker.io")]
    [InlineData("GHCR.io", "ghcr.io")]
    [InlineData("http://127.0.0.1:5002/", "127.0.0.1:5002")]
    public void Normalizes_registry_servers_of_logins(string server, string expected) =>
        Assert.Equal(expected, ImageReference.NormalizeServer(server));

    [Fact]
    public void Parses_a_bearer_challenge_whose_scope_holds_a_comma()
    {
        var challenge = AuthenticateChallenge.Parse("Bearer realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:a/b:pull,push\"");

        Assert.NotNull(challenge);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Equal("https://auth.example/token", challenge.Realm);
        Assert.Equal("registry.example", challenge.Service);
        Assert.Equal("repository:a/b:pull,push", challenge.Scope);
    }

    [Fact]
    public void Parses_a_basic_challenge()
    {
        var challenge = AuthenticateChallenge.Parse("Basic realm=\"conops-test-registry\"");

        Assert.Equal("Basic", challenge!.Scheme);
        Assert.Equal("conops-test-registry", challenge.Realm);
    }
}
