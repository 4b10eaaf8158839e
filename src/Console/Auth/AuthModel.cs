using Microsoft.EntityFrameworkCore;

namespace ConOps.Console.Auth;

/// <summary>The tables of users, API tokens and the audit log.</summary>
public static class AuthModel
{
    public static void Configure(ModelBuilder model)
    {
        model.Entity<UserRecord>(user =>
        {
            user.HasKey(u => u.Name);
            user.Property(u => u.Role).HasMaxLength(16);
        });
        model.Entity<ApiTokenRecord>(token =>
        {
            token.HasIndex(t => t.Hash).IsUnique();
            token.HasIndex(t => t.Name).IsUnique();
        });
        model.Entity<AuditRecord>(audit =>
        {
            audit.HasIndex(a => a.At);
            audit.HasIndex(a => a.Actor);
        });
    }
}
