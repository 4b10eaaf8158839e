using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ConOps.Agent.Connection;

namespace ConOps.Console.Fleet;

/// <summary>
/// The certificate of the agent port: the operator's own when configured, otherwise one the console
/// generates on first start and keeps in its data directory (agent-tls.pfx, 0600), so the fingerprint in
/// join commands stays valid across restarts.
/// </summary>
public sealed class AgentCertificate(X509Certificate2 certificate, string source)
{
    public const string GeneratedFileName = "agent-tls.pfx";

    public X509Certificate2 Certificate { get; } = certificate;

    /// <summary>"AB:CD:..." SHA-256 of the certificate, the value agents pin.</summary>
    public string Fingerprint { get; } = ConsoleChannel.Fingerprint(certificate);

    /// <summary>Where it came from, for the start-up log line.</summary>
    public string Source { get; } = source;

    public static AgentCertificate LoadOrCreate(AgentCertificateOptions configured, string dataDirectory, IEnumerable<string> hostNames)
    {
        if (!string.IsNullOrWhiteSpace(configured.Path))
        {
            return new AgentCertificate(LoadConfigured(configured), configured.Path);
        }
        ConsoleOptions.EnsureDataDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, GeneratedFileName);
        if (File.Exists(path))
        {
            return new AgentCertificate(X509CertificateLoader.LoadPkcs12FromFile(path, null), path);
        }
        var certificate = Generate(hostNames);
        var temp = path + ".tmp";
        File.Delete(temp);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var file = new FileStream(temp, options))
        {
            file.Write(certificate.Export(X509ContentType.Pkcs12));
        }
        File.Move(temp, path);
        return new AgentCertificate(X509CertificateLoader.LoadPkcs12FromFile(path, null), path);
    }

    private static X509Certificate2 LoadConfigured(AgentCertificateOptions configured)
    {
        var password = string.IsNullOrEmpty(configured.Password) ? null : configured.Password;
        var extension = Path.GetExtension(configured.Path).ToLowerInvariant();
        if (extension is ".pfx" or ".p12")
        {
            return X509CertificateLoader.LoadPkcs12FromFile(configured.Path, password);
        }
        var key = string.IsNullOrWhiteSpace(configured.KeyPath) ? null : configured.KeyPath;
        var pem = password is null ? X509Certificate2.CreateFromPemFile(configured.Path, key) : X509Certificate2.CreateFromEncryptedPemFile(configured.Path, password, key);
        // Kestrel on Linux needs the key in an exportable, persisted form; a PKCS#12 round trip gives that.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Self-signed ECDSA P-256, valid ten years, for every name agents may use to reach the console.</summary>
    private static X509Certificate2 Generate(IEnumerable<string> hostNames)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=ConOps console (agent port)", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var name in hostNames.Append("localhost").Append(Environment.MachineName).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (System.Net.IPAddress.TryParse(name, out var ip))
            {
                names.AddIpAddress(ip);
            }
            else if (name.Length > 0)
            {
                names.AddDnsName(name);
            }
        }
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
    }
}
