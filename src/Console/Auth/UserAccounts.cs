using System.Security.Claims;
using ConOps.Console.History;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace ConOps.Console.Auth;

/// <summary>Local users: create, verify a password, change role or password, delete.</summary>
public sealed class UserAccounts(IDbContextFactory<ConOpsDb> dbs, TimeProvider time)
{
    public const int MinimumPasswordLength = 10;

    private readonly PasswordHasher<UserRecord> _hasher = new();

    public async Task<bool> AnyAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Users.AnyAsync(ct);
    }

    public async Task<List<UserRecord>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Users.AsNoTracking().OrderBy(u => u.Name).ToListAsync(ct);
    }

    public async Task<UserRecord?> FindAsync(string name, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Name == name, ct);
    }

    /// <summary>Problems with a new user's fields, or null when they are fine.</summary>
    public static string? Check(string? name, string? password, string? role)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 64 || name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) || name.StartsWith("token:", StringComparison.Ordinal))
        {
            return "The user name must be 1-64 characters without spaces.";
        }
        if (password is null || password.Length < MinimumPasswordLength)
        {
            return $"The password must be at least {MinimumPasswordLength} characters.";
        }
        return Roles.IsKnown(role) ? null : $"The role must be one of {string.Join(", ", Roles.All)}.";
    }

    /// <summary>Creates the user; returns an error sentence when the name is taken or a field is invalid.</summary>
    public async Task<string?> CreateAsync(string name, string password, string role, CancellationToken ct)
    {
        if (Check(name, password, role) is { } problem)
        {
            return problem;
        }
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (await db.Users.AnyAsync(u => u.Name == name, ct))
        {
            return $"A user named '{name}' already exists.";
        }
        var user = new UserRecord { Name = name, PasswordHash = "", Role = role, CreatedAt = time.GetUtcNow() };
        user.PasswordHash = _hasher.HashPassword(user, password);
        db.Users.Add(user);
        await db.SaveChangesAsync(ct);
        return null;
    }

    /// <summary>The user when the password matches, otherwise null. Upgrades an outdated hash on the way.</summary>
    public async Task<UserRecord?> VerifyAsync(string name, string password, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Name == name, ct);
        if (user is null)
        {
            // Same work as a real check, so timing does not tell which names exist.
            _hasher.VerifyHashedPassword(new UserRecord { Name = name, PasswordHash = "", Role = Roles.Viewer }, DummyHash.Value, password);
            return null;
        }
        var result = _hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (result == PasswordVerificationResult.Failed)
        {
            return null;
        }
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            user.PasswordHash = _hasher.HashPassword(user, password);
        }
        user.LastSignInAt = time.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return user;
    }

    public async Task<string?> SetRoleAsync(string name, string role, CancellationToken ct)
    {
        if (!Roles.IsKnown(role))
        {
            return $"The role must be one of {string.Join(", ", Roles.All)}.";
        }
        await using var db = await dbs.CreateDbContextAsync(ct);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Name == name, ct);
        if (user is null)
        {
            return $"No user named '{name}'.";
        }
        if (user.Role == Roles.Admin && role != Roles.Admin && await db.Users.CountAsync(u => u.Role == Roles.Admin, ct) == 1)
        {
            return "This is the last admin; make someone else admin first.";
        }
        user.Role = role;
        user.Stamp = Guid.NewGuid().ToString("N");
        await db.SaveChangesAsync(ct);
        return null;
    }

    public async Task<string?> SetPasswordAsync(string name, string password, CancellationToken ct)
    {
        if (password.Length < MinimumPasswordLength)
        {
            return $"The password must be at least {MinimumPasswordLength} characters.";
        }
        await using var db = await dbs.CreateDbContextAsync(ct);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Name == name, ct);
        if (user is null)
        {
            return $"No user named '{name}'.";
        }
        user.PasswordHash = _hasher.HashPassword(user, password);
        user.Stamp = Guid.NewGuid().ToString("N");
        await db.SaveChangesAsync(ct);
        return null;
    }

    public async Task<string?> DeleteAsync(string name, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Name == name, ct);
        if (user is null)
        {
            return $"No user named '{name}'.";
        }
        if (user.Role == Roles.Admin && await db.Users.CountAsync(u => u.Role == Roles.Admin, ct) == 1)
        {
            return "This is the last admin; it cannot be deleted.";
        }
        db.Users.Remove(user);
        await db.SaveChangesAsync(ct);
        return null;
    }

    /// <summary>The claims a signed-in user or token carries: its name, one role claim per included role, and the stamp.</summary>
    public static ClaimsPrincipal Principal(string name, string role, string scheme, string? stamp = null)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, name) };
        claims.AddRange(Roles.Including(role).Select(r => new Claim(ClaimTypes.Role, r)));
        if (stamp is not null)
        {
            claims.Add(new Claim(StampClaim, stamp));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    public const string StampClaim = "conops:stamp";

    private static class DummyHash
    {
        public static readonly string Value = new PasswordHasher<UserRecord>().HashPassword(new UserRecord { Name = "", PasswordHash = "", Role = Roles.Viewer }, Guid.NewGuid().ToString());
    }
}

/// <summary>Helpers to read who is acting from a principal.</summary>
public static class PrincipalExtensions
{
    /// <summary>The name audit entries use: the user name, <c>token:NAME</c>, or <c>anonymous</c>.</summary>
    public static string Actor(this ClaimsPrincipal? principal) =>
        principal?.Identity is { IsAuthenticated: true, Name: { } name } ? name : "anonymous";

    /// <summary>The highest role the principal holds, or null.</summary>
    public static string? HighestRole(this ClaimsPrincipal? principal) =>
        principal is null ? null : Roles.All.LastOrDefault(principal.IsInRole);
}
