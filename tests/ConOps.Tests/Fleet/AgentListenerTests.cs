using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ConOps.Agent.Connection;
using ConOps.Console.Fleet;
using Microsoft.Extensions.Configuration;

namespace ConOps.Tests.Fleet;

public sealed class AgentListenerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "conops-listener-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public void Plain_http_for_agents_is_refused_unless_explicitly_allowed()
    {
        var refused = Assert.Throws<InvalidOperationException>(() => AgentListener.Create(Config(), "http://127.0.0.1:8081", _dir));
        Assert.Contains("ConOps:Fleet:AllowPlaintextAgents", refused.Message, StringComparison.Ordinal);

        var allowed = AgentListener.Create(Config(("ConOps:Fleet:AllowPlaintextAgents", "true")), "http://127.0.0.1:8081", _dir);
        Assert.Null(allowed.Certificate);
        Assert.False(Directory.Exists(_dir) && Directory.EnumerateFiles(_dir).Any());
    }

    [Fact]
    public void Https_is_served_with_a_generated_certificate_and_join_commands_use_the_public_url()
    {
        var listener = AgentListener.Create(Config(("ConOps:Fleet:PublicAgentUrl", "https://console.lan:8081/")), "https://0.0.0.0:8081", _dir);

        Assert.NotNull(listener.Certificate);
        Assert.Equal("https://console.lan:8081", listener.PublicUrl);
        Assert.Equal("https://127.0.0.1:8081", listener.LoopbackUrl);
        var join = JoinInstructions.For(new JoinTicket("nas", "cjt_x", DateTimeOffset.UnixEpoch), listener);
        Assert.Equal(listener.Certificate!.Fingerprint, join.Environment["ConOps__Agent__CertificateFingerprint"]);
        Assert.Equal("sudo env ConOps__Agent__ConsoleUrl='https://console.lan:8081' ConOps__Agent__JoinToken='cjt_x' " +
            $"ConOps__Agent__CertificateFingerprint='{listener.Certificate.Fingerprint}' conops-agent", join.Command);
    }

    [Fact]
    public void An_operator_certificate_is_used_as_pem_or_pkcs12()
    {
        Directory.CreateDirectory(_dir);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var own = new CertificateRequest("CN=console.example", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var expected = ConsoleChannel.Fingerprint(own);
        File.WriteAllText(Path.Combine(_dir, "cert.pem"), own.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_dir, "key.pem"), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllBytes(Path.Combine(_dir, "cert.pfx"), own.Export(X509ContentType.Pkcs12, "pfx-secret"));

        var pem = AgentCertificate.LoadOrCreate(new AgentCertificateOptions { Path = Path.Combine(_dir, "cert.pem"), KeyPath = Path.Combine(_dir, "key.pem") }, _dir, []);
        var pfx = AgentCertificate.LoadOrCreate(new AgentCertificateOptions { Path = Path.Combine(_dir, "cert.pfx"), Password = "pfx-secret" }, _dir, []);

        Assert.Equal(expected, pem.Fingerprint);
        Assert.Equal(expected, pfx.Fingerprint);
        Assert.True(pem.Certificate.HasPrivateKey);
        Assert.False(File.Exists(Path.Combine(_dir, AgentCertificate.GeneratedFileName)));
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
}
