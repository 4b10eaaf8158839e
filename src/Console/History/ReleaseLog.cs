using ConOps.Contract;
using Microsoft.EntityFrameworkCore;

namespace ConOps.Console.History;

/// <summary>Writes the deployment history: a release opens when desired state is sent and closes with the agent's result.</summary>
public sealed class ReleaseLog(IDbContextFactory<ConOpsDb> dbs, TimeProvider time, Notifications.ReleaseOutcomes? outcomes = null)
{
    public async Task OpenAsync(string app, string host, long generation, string revision, string message, string author, string trigger, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Releases.Add(new ReleaseRecord
        {
            App = app,
            Host = host,
            Generation = generation,
            Revision = revision,
            CommitMessage = message,
            CommitAuthor = author,
            Trigger = trigger,
            Outcome = "pending",
            CreatedAt = time.GetUtcNow(),
        });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Records a "nothing to deploy" release: a new commit that does not change the rendered desired state.</summary>
    public async Task NoChangeAsync(string app, string host, string revision, string message, string author, string trigger, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var now = time.GetUtcNow();
        db.Releases.Add(new ReleaseRecord
        {
            App = app,
            Host = host,
            Revision = revision,
            CommitMessage = message,
            CommitAuthor = author,
            Trigger = trigger,
            Outcome = "no-change",
            CreatedAt = now,
            FinishedAt = now,
        });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Closes the pending release the result belongs to; a result nobody opened (self-heal, a re-delivered
    /// generation after a restart) becomes a release of its own unless it changed nothing.
    /// </summary>
    public async Task CompleteAsync(string host, ApplyResult result, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var release = await db.Releases
            .Where(r => r.App == result.App && r.Host == host && r.Generation == result.Generation && r.Outcome == "pending")
            .OrderByDescending(r => r.Id)
            .FirstOrDefaultAsync(ct);
        var changedSomething = result.Services.Any(s => s.Action != ApplyAction.Unchanged);
        if (release is null)
        {
            if (!changedSomething)
            {
                return;
            }
            release = new ReleaseRecord
            {
                App = result.App,
                Host = host,
                Generation = result.Generation,
                Revision = result.Revision,
                Trigger = result.Trigger,
                CreatedAt = result.StartedAt?.ToDateTimeOffset() ?? time.GetUtcNow(),
            };
            db.Releases.Add(release);
        }
        release.FinishedAt = result.FinishedAt?.ToDateTimeOffset() ?? time.GetUtcNow();
        release.Outcome = result.Services.Any(s => s.Action == ApplyAction.Failed) ? "failed"
            : changedSomething ? "succeeded" : "no-change";
        release.Services = [.. result.Services.Select(s => new ServiceOutcomeRecord
        {
            Service = s.Service,
            ConfigHash = s.ConfigHash,
            Action = ActionName(s.Action),
            Error = string.IsNullOrEmpty(s.Error) ? null : s.Error,
        })];
        await db.SaveChangesAsync(ct);
        outcomes?.Finished(host, result, release.Outcome);
    }

    public static string ActionName(ApplyAction action) => action switch
    {
        ApplyAction.Unchanged => "unchanged",
        ApplyAction.Created => "created",
        ApplyAction.Recreated => "recreated",
        ApplyAction.Started => "started",
        ApplyAction.Removed => "removed",
        ApplyAction.Failed => "failed",
        _ => action.ToString().ToLowerInvariant(),
    };
}
