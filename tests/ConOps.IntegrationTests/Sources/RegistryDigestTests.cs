using ConOps.Console.Registry;
using ConOps.Console.Sync;
using ConOps.Contract;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ConOps.IntegrationTests.Sources;

/// <summary>Digest resolution against the real registries: anonymous, Basic, and Bearer with a token server.</summary>
public sealed class RegistryDigestTests : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Resolves_the_same_digest_through_anonymous_basic_and_bearer_auth()
    {
        var client = new RegistryClient(_http, TimeProvider.System);

        var anonymous = await client.ResolveDigestAsync(Image(TestRegistries.Anonymous), null, default);
        var basic = await client.ResolveDigestAsync(Image(TestRegistries.Basic), Login(TestRegistries.Basic, TestRegistries.BasicPassword), default);
        var bearer = await client.ResolveDigestAsync(Image(TestRegistries.Bearer), Login(TestRegistries.Bearer, TestRegistries.BearerPassword), default);
        var bearerAgain = await client.ResolveDigestAsync(Image(TestRegistries.Bearer), Login(TestRegistries.Bearer, TestRegistries.BearerPassword), default);

        Assert.Matches("^sha256:[0-9a-f]{64}$", anonymous);
        Assert.Equal(anonymous, basic);
        Assert.Equal(anonymous, bearer);
        Assert.Equal(bearer, bearerAgain);
    }

    [Fact]
    public async Task Says_why_a_private_registry_refuses()
    {
        var client = new RegistryClient(_http, TimeProvider.System);

        var noLogin = await Assert.ThrowsAsync<RegistryException>(() => client.ResolveDigestAsync(Image(TestRegistries.Basic), null, default));
        var wrongBasic = await Assert.ThrowsAsync<RegistryException>(() => client.ResolveDigestAsync(Image(TestRegistries.Basic), Login(TestRegistries.Basic, "wrong"), default));
        var wrongBearer = await Assert.ThrowsAsync<RegistryException>(() => client.ResolveDigestAsync(Image(TestRegistries.Bearer), Login(TestRegistries.Bearer, "wrong"), default));
        var missingTag = await Assert.ThrowsAsync<RegistryException>(() => client.ResolveDigestAsync(ImageReference.Parse($"{TestRegistries.Anonymous}/{TestRegistries.SharedRepository}:no-such-tag"), null, default));

        Assert.Contains("requires credentials", noLogin.Message, StringComparison.Ordinal);
        Assert.Contains("refused the credentials of user 'conops'", wrongBasic.Message, StringComparison.Ordinal);
        Assert.Contains("refused the credentials", wrongBearer.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", missingTag.Message, StringComparison.Ordinal);
        Assert.All([noLogin, wrongBasic, wrongBearer, missingTag], e => Assert.False(e.Transient));
        Assert.DoesNotContain("wrong", wrongBasic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_registry_keeps_the_last_known_digest_with_a_warning()
    {
        var resolver = new DigestResolver(new RegistryClient(_http, TimeProvider.System), Options.Create(new SourcesOptions()), TimeProvider.System, NullLogger<DigestResolver>.Instance);
        var closedPort = Support.ConsoleProcess.FreePort();
        var lastKnown = "sha256:" + new string('7', 64);

        var result = await resolver.ResolveAsync($"127.0.0.1:{closedPort}/conops/web:1", [], lastKnown, refresh: false, default);

        Assert.Equal(lastKnown, result.Digest);
        Assert.Contains("unreachable", result.Warning, StringComparison.Ordinal);
        Assert.Contains("keeping the last known digest", result.Warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Asks_each_registry_once_per_check_interval()
    {
        var counting = new CountingHandler();
        using var http = new HttpClient(counting);
        var resolver = new DigestResolver(new RegistryClient(http, TimeProvider.System), Options.Create(new SourcesOptions { DigestCheckInterval = TimeSpan.FromMinutes(5) }), TimeProvider.System, NullLogger<DigestResolver>.Instance);
        var image = $"{TestRegistries.Anonymous}/{TestRegistries.SharedRepository}:1";

        var first = await resolver.ResolveAsync(image, [], null, refresh: false, default);
        var second = await resolver.ResolveAsync(image, [], null, refresh: false, default);
        var refreshed = await resolver.ResolveAsync(image, [], null, refresh: true, default);

        Assert.Equal(first.Digest, second.Digest);
        Assert.Equal(first.Digest, refreshed.Digest);
        Assert.Equal(2, counting.Requests);
    }

    private static ImageReference Image(string registry) => ImageReference.Parse($"{registry}/{TestRegistries.SharedRepository}:1");

    private static RegistryCredential Login(string registry, string password) => new() { Server = registry, Username = TestRegistries.User, Password = password };

    public void Dispose() => _http.Dispose();

    private sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        public int Requests;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Requests);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
