using System.Runtime.Versioning;
using ConOps.Agent.Connection;
using ConOps.Console.Fleet;

namespace ConOps.Tests.Fleet;

[SupportedOSPlatform("linux")]
public sealed class AgentSecretsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "conops-secrets-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public void The_credential_file_round_trips_and_only_its_owner_can_read_it()
    {
        var path = AgentCredentialFile.PathIn(_dir);
        Assert.Null(AgentCredentialFile.Read(path));

        AgentCredentialFile.Write(path, new AgentCredential("nas", "cac_secret", "AB:CD"));
        AgentCredentialFile.Write(path, new AgentCredential("nas", "cac_rotated", "AB:CD"));

        Assert.Equal(new AgentCredential("nas", "cac_rotated", "AB:CD"), AgentCredentialFile.Read(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Secrets_are_random_prefixed_and_stored_as_a_sha256_hash()
    {
        var token = FleetSecrets.NewJoinToken();
        var credential = FleetSecrets.NewCredential();
        Assert.StartsWith("cjt_", token, StringComparison.Ordinal);
        Assert.StartsWith("cac_", credential, StringComparison.Ordinal);
        Assert.Equal(47, credential.Length);
        Assert.NotEqual(credential, FleetSecrets.NewCredential());
        Assert.Matches("^[0-9a-f]{64}$", FleetSecrets.Hash(credential));
        Assert.DoesNotContain(credential[4..], FleetSecrets.Hash(credential), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ab:cd:ef", "AB:CD:EF")]
    [InlineData("ABCDEF", "AB:CD:EF")]
    [InlineData("sha256:ab cd ef", "AB:CD:EF")]
    [InlineData("", "")]
    public void Fingerprints_are_accepted_in_the_usual_spellings(string given, string normalized) =>
        Assert.Equal(normalized, ConsoleChannel.NormalizeFingerprint(given));

    [Fact]
    public void Plain_http_to_another_machine_is_refused_unless_allowed()
    {
        var refused = Assert.Throws<InvalidOperationException>(() => ConsoleChannel.Open("http://console.lan:8081", "", allowPlaintext: false));
        Assert.Contains("unencrypted", refused.Message, StringComparison.Ordinal);
        using var loopback = ConsoleChannel.Open("http://127.0.0.1:8081", "", allowPlaintext: false);
        using var allowed = ConsoleChannel.Open("http://console.lan:8081", "", allowPlaintext: true);
    }

    [Fact]
    public void The_generated_certificate_is_kept_so_its_fingerprint_survives_a_restart()
    {
        var first = AgentCertificate.LoadOrCreate(new AgentCertificateOptions(), _dir, ["console.lan", "10.0.0.5"]);
        var again = AgentCertificate.LoadOrCreate(new AgentCertificateOptions(), _dir, ["console.lan"]);

        Assert.Equal(first.Fingerprint, again.Fingerprint);
        Assert.Equal(first.Fingerprint, ConsoleChannel.Fingerprint(again.Certificate));
        Assert.True(again.Certificate.HasPrivateKey);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, AgentCertificate.GeneratedFileName)));
        Assert.Contains("console.lan", again.Certificate.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
