using ConOps.Console.History;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ConOps.Console.Auth;

/// <summary>Who did what: sign-ins, user and token changes, and every changing API call. Bounded: the oldest entries go.</summary>
public sealed partial class AuditLog(IDbContextFactory<ConOpsDb> dbs, TimeProvider time, IOptions<AuthOptions> options, ILogger<AuditLog> log)
{
    private int _writesSincePrune;

    public async Task RecordAsync(string actor, string action, string target = "", string outcome = "ok", string detail = "", CancellationToken ct = default)
    {
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            db.AuditEntries.Add(new AuditRecord
            {
                At = time.GetUtcNow(),
                Actor = Trim(actor, 128),
                Action = Trim(action, 200),
                Target = Trim(target, 200),
                Outcome = Trim(outcome, 32),
                Detail = Trim(detail, 1000),
            });
            await db.SaveChangesAsync(ct);
            if (Interlocked.Increment(ref _writesSincePrune) >= 200)
            {
                Interlocked.Exchange(ref _writesSincePrune, 0);
                var keepFrom = await db.AuditEntries.OrderByDescending(a => a.Id).Skip(options.Value.AuditEntriesKept).Select(a => (long?)a.Id).FirstOrDefaultAsync(ct);
                if (keepFrom is { } id)
                {
                    await db.AuditEntries.Where(a => a.Id <= id).ExecuteDeleteAsync(ct);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The action itself already happened; losing its audit line must not turn it into an error.
            LogAuditWriteFailed(action, actor, ex);
        }
    }

    public async Task<List<AuditRecord>> ListAsync(string? actor, int limit, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var query = db.AuditEntries.AsNoTracking();
        if (!string.IsNullOrEmpty(actor))
        {
            query = query.Where(a => a.Actor == actor);
        }
        return await query.OrderByDescending(a => a.Id).Take(Math.Clamp(limit, 1, 1000)).ToListAsync(ct);
    }

    private static string Trim(string value, int max) => value.Length <= max ? value : value[..max];

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not write the audit entry {Action} by {Actor}")]
    private partial void LogAuditWriteFailed(string action, string actor, Exception ex);
}
