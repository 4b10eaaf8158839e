using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;

namespace ConOps.Agent.Connection;

/// <summary>
/// The gRPC channel to the console. With a pinned fingerprint the console's certificate must have exactly
/// that SHA-256 (the console's own generated certificate is not signed by anyone); without one, normal
/// certificate validation applies (an operator-provided certificate from a trusted CA). Plain http only
/// to loopback or when explicitly allowed.
/// </summary>
public sealed class ConsoleChannel : IDisposable
{
    private ConsoleChannel(GrpcChannel channel) => Channel = channel;

    public GrpcChannel Channel { get; }

    /// <summary>Set when the last TLS handshake failed because the certificate did not match the pin.</summary>
    public string? PinMismatch { get; private set; }

    public static ConsoleChannel Open(string url, string fingerprint, bool allowPlaintext)
    {
        var uri = new Uri(url);
        if (uri.Scheme == Uri.UriSchemeHttp && !uri.IsLoopback && !allowPlaintext)
        {
            throw new InvalidOperationException(
                $"ConOps:Agent:ConsoleUrl {url} is plain http to another machine: the credential would travel unencrypted. Use the https URL from the join command, or set ConOps:Agent:AllowPlaintext=true.");
        }
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            KeepAlivePingDelay = TimeSpan.FromSeconds(20),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        };
        ConsoleChannel? result = null;
        var pin = NormalizeFingerprint(fingerprint);
        if (pin.Length > 0)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                var actual = certificate is null ? "" : Fingerprint(certificate);
                var matches = actual == pin;
                result!.PinMismatch = matches ? null : actual;
                return matches;
            };
        }
        result = new ConsoleChannel(GrpcChannel.ForAddress(uri, new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 16 * 1024 * 1024 }));
        return result;
    }

    /// <summary>"AB:CD:..." upper-case SHA-256 of the certificate's DER bytes, as the console shows it.</summary>
    public static string Fingerprint(X509Certificate certificate) =>
        string.Join(':', certificate.GetCertHash(HashAlgorithmName.SHA256).Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>Accepts the fingerprint with or without colons, any case, optionally prefixed "sha256:".</summary>
    public static string NormalizeFingerprint(string fingerprint)
    {
        var hex = fingerprint.Trim();
        if (hex.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase))
        {
            hex = hex[7..];
        }
        hex = new string([.. hex.Where(Uri.IsHexDigit)]).ToUpperInvariant();
        return hex.Length == 0 ? "" : string.Join(':', hex.Chunk(2).Select(c => new string(c)));
    }

    public void Dispose() => Channel.Dispose();
}
