using System.Security.Cryptography;
using System.Text;
using ConOps.Console.History;
using Microsoft.EntityFrameworkCore;

namespace ConOps.Console.Auth;

/// <summary>API tokens: random 256-bit secrets, kept only as SHA-256 (a slow hash buys nothing for random secrets).</summary>
public sealed class ApiTokens(IDbContextFactory<ConOpsDb> dbs, TimeProvider time)
{
    public const string BootstrapName = "bootstrap";
    private const string TokenPrefix = "conops_";

    /// <summary>A new token; <paramref name="Token"/> is the only time the secret exists outside the caller.</summary>
    public sealed record Created(ApiTokenRecord Record, string Token);

    public async Task<List<ApiTokenRecord>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.ApiTokens.AsNoTracking().OrderBy(t => t.Name).ToListAsync(ct);
    }

    public static string? Check(string? name, string? role) =>
        string.IsNullOrWhiteSpace(name) || name.Length > 64 ? "The token name must be 1-64 characters."
        : name == BootstrapName ? $"'{BootstrapName}' is reserved for the token set in ConOps:Auth:BootstrapToken."
        : Roles.IsKnown(role) ? null
        : $"The role must be one of {string.Join(", ", Roles.All)}.";

    public async Task<(Created? Token, string? Error)> CreateAsync(string name, string role, string createdBy, CancellationToken ct)
    {
        if (Check(name, role) is { } problem)
        {
            return (null, problem);
        }
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (await db.ApiTokens.AnyAsync(t => t.Name == name, ct))
        {
            return (null, $"A token named '{name}' already exists.");
        }
        var token = TokenPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var record = new ApiTokenRecord
        {
            Name = name,
            Role = role,
            Prefix = token[..(TokenPrefix.Length + 6)],
            Hash = Hash(token),
            CreatedBy = createdBy,
            CreatedAt = time.GetUtcNow(),
        };
        db.ApiTokens.Add(record);
        await db.SaveChangesAsync(ct);
        return (new Created(record, token), null);
    }

    public async Task<bool> DeleteAsync(long id, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.ApiTokens.Where(t => t.Id == id).ExecuteDeleteAsync(ct) > 0;
    }

    /// <summary>The token's record when it is known, and notes its use (at most once a minute, to spare the disk).</summary>
    public async Task<ApiTokenRecord?> ValidateAsync(string token, CancellationToken ct)
    {
        if (token.Length is < 16 or > 256)
        {
            return null;
        }
        var hash = Hash(token);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var record = await db.ApiTokens.FirstOrDefaultAsync(t => t.Hash == hash, ct);
        var now = time.GetUtcNow();
        if (record is not null && (record.LastUsedAt is null || now - record.LastUsedAt > TimeSpan.FromMinutes(1)))
        {
            record.LastUsedAt = now;
            await db.SaveChangesAsync(ct);
        }
        return record;
    }

    /// <summary>Makes the configured bootstrap token the only one of that name, or removes it when none is configured.</summary>
    public async Task ApplyBootstrapAsync(string? token, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await db.ApiTokens.Where(t => t.Name == BootstrapName).ExecuteDeleteAsync(ct);
        if (string.IsNullOrEmpty(token))
        {
            return;
        }
        db.ApiTokens.Add(new ApiTokenRecord
        {
            Name = BootstrapName,
            Role = Roles.Admin,
            Prefix = token[..Math.Min(8, token.Length)],
            Hash = Hash(token),
            CreatedBy = "configuration",
            CreatedAt = time.GetUtcNow(),
        });
        await db.SaveChangesAsync(ct);
    }

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
