using System.Security.Cryptography;
using System.Text;

namespace ConOps.Console.Fleet;

/// <summary>
/// Join tokens and host credentials: 256 random bits each, shown once, stored only as a SHA-256 hash. A fast
/// hash is enough because the secrets are random, not chosen by people.
/// </summary>
public static class FleetSecrets
{
    public const string JoinTokenPrefix = "cjt_";
    public const string CredentialPrefix = "cac_";

    public static string NewJoinToken() => JoinTokenPrefix + Random();

    public static string NewCredential() => CredentialPrefix + Random();

    public static string Hash(string secret) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Random() => Base64Url(RandomNumberGenerator.GetBytes(32));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
