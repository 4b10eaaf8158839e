namespace ConOps.Console.Auth;

/// <summary>A local user who signs in to the console with a password.</summary>
public sealed class UserRecord
{
    public required string Name { get; set; }

    /// <summary>ASP.NET Core Identity's PBKDF2 hash (salted, versioned); the password itself is never stored.</summary>
    public required string PasswordHash { get; set; }

    public required string Role { get; set; }

    /// <summary>Changes whenever the password or role changes, so older sign-in cookies stop working.</summary>
    public string Stamp { get; set; } = Guid.NewGuid().ToString("N");

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? LastSignInAt { get; set; }
}

/// <summary>A token for the REST API. Only a SHA-256 of it is kept; the token is shown once when created.</summary>
public sealed class ApiTokenRecord
{
    public long Id { get; set; }

    public required string Name { get; set; }

    public required string Role { get; set; }

    /// <summary>The first characters of the token, so a user can tell tokens apart without the secret.</summary>
    public required string Prefix { get; set; }

    /// <summary>Lower-case hex SHA-256 of the whole token.</summary>
    public required string Hash { get; set; }

    public required string CreatedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }
}

/// <summary>One thing someone did: who, what, on what, and how it ended.</summary>
public sealed class AuditRecord
{
    public long Id { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>User name, <c>token:NAME</c> for API tokens, or <c>anonymous</c>.</summary>
    public required string Actor { get; set; }

    /// <summary>e.g. <c>sign-in</c>, <c>user.create</c>, <c>POST /api/apps/{name}/sync</c>.</summary>
    public required string Action { get; set; }

    public string Target { get; set; } = "";

    /// <summary>ok, denied, failed, or an HTTP status code.</summary>
    public string Outcome { get; set; } = "ok";

    public string Detail { get; set; } = "";
}
