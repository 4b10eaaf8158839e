using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace ConOps.Console.Apps;

/// <summary>The secret parts of an app: Git credentials and registry passwords.</summary>
public sealed class AppSecrets
{
    public GitAuth? Git { get; set; }

    /// <summary>Registry password by normalized server.</summary>
    public Dictionary<string, string> RegistryPasswords { get; set; } = [];
}

/// <summary>
/// Encrypts app secrets at rest with ASP.NET Core Data Protection (keys in the data directory). The database alone
/// does not reveal them; a backup needs the key folder too.
/// </summary>
public sealed class SecretBox(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("ConOps.AppSecrets.v1");

    public string Protect(AppSecrets secrets) => _protector.Protect(JsonSerializer.Serialize(secrets));

    public AppSecrets Unprotect(string? protectedText)
    {
        if (string.IsNullOrEmpty(protectedText))
        {
            return new AppSecrets();
        }
        try
        {
            return JsonSerializer.Deserialize<AppSecrets>(_protector.Unprotect(protectedText)) ?? new AppSecrets();
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw new InvalidOperationException("The app's secrets cannot be decrypted: the Data Protection keys in the data directory (keys/) are missing or were replaced. Enter the credentials again.", ex);
        }
    }
}
