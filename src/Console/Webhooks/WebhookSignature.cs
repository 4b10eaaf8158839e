using System.Security.Cryptography;
using System.Text;

namespace ConOps.Console.Webhooks;

/// <summary>Checks that a webhook really comes from the Git server that shares the secret. Comparisons are constant-time.</summary>
public static class WebhookSignature
{
    /// <summary>GitHub: <c>X-Hub-Signature-256: sha256=&lt;hex HMAC-SHA256 of the body&gt;</c>.</summary>
    public static bool VerifyGitHub(string secret, ReadOnlySpan<byte> body, string? header) =>
        header is not null && header.StartsWith("sha256=", StringComparison.Ordinal) && VerifyHex(secret, body, header["sha256=".Length..]);

    /// <summary>Gitea and Forgejo: <c>X-Gitea-Signature</c> / <c>X-Forgejo-Signature</c>: the bare hex HMAC-SHA256 of the body.</summary>
    public static bool VerifyGitea(string secret, ReadOnlySpan<byte> body, string? header) =>
        header is not null && VerifyHex(secret, body, header);

    /// <summary>GitLab sends the secret itself in <c>X-Gitlab-Token</c>.</summary>
    public static bool VerifyGitLab(string secret, string? header) =>
        header is not null && CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(header)), SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    private static bool VerifyHex(string secret, ReadOnlySpan<byte> body, string hex)
    {
        if (secret.Length == 0 || hex.Length != 64)
        {
            return false;
        }
        byte[] given;
        try
        {
            given = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(given, HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
    }
}
