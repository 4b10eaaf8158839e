using ConOps.Contract;
using Google.Protobuf;
using Microsoft.EntityFrameworkCore;

namespace ConOps.Console.History;

/// <summary>A release about to be sent to a host: the state deployed and why.</summary>
public sealed record ReleaseDraft(
    string App,
    string Host,
    long Generation,
    string Revision,
    string CommitMessage,
    string CommitAuthor,
    string Trigger,
    string User,
    AppDesiredState Model);

/// <summary>Writes the deployment history: a release opens when desired state is sent and closes with the agent's result.</summary>
public sealed class ReleaseLog(IDbContextFactory<ConOpsDb> dbs, TimeProvider time, Notifications.ReleaseOutcomes? outcomes = null, Sync.AppStateFeed? feed = null)
{
    /// <summary>Opens a release with the normalized model (pinned digests included, never credentials) and per-service hashes.</summary>
    public async Task<long> OpenAsync(ReleaseDraft draft, CancellationToken ct)
    {
        var model = draft.Model.Clone();
        model.RegistryCredentials.Clear();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var release = new ReleaseRecord
        {
            App = draft.App,
            Host = draft.Host,
            Generation = draft.Generation,
            Revision = draft.Revision,
            CommitMessage = draft.CommitMessage,
            CommitAuthor = draft.CommitAuthor,
            Trigger = draft.Trigger,
            User = draft.User,
            Outcome = "pending",
            CreatedAt = time.GetUtcNow(),
            Model = JsonFormatter.Default.Format(model),
            Services = [.. model.Services.Select(s => new ServiceOutcomeRecord
            {
                Service = s.Spec.Name,
                ConfigHash = s.ConfigHash,
                Action = "pending",
                Image = s.Spec.Image,
                ImageDigest = s.Spec.ImageDigest,
            })],
        };
        db.Releases.Add(release);
        await db.SaveChangesAsync(ct);
        feed?.Changed(draft.App);
        return release.Id;
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
        feed?.Changed(app);
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
                // The agent applied a generation nobody opened a release for: a retry after a failure or a restart.
                Trigger = result.Trigger == "deploy" ? "retry" : result.Trigger,
                CreatedAt = result.StartedAt?.ToDateTimeOffset() ?? time.GetUtcNow(),
            };
            db.Releases.Add(release);
        }
        release.FinishedAt = result.FinishedAt?.ToDateTimeOffset() ?? time.GetUtcNow();
        release.Outcome = result.Services.Any(s => s.Action == ApplyAction.Failed) ? "failed"
            : changedSomething ? "succeeded" : "no-change";
        var planned = release.Services.ToDictionary(s => s.Service, StringComparer.Ordinal);
        release.Services = [.. result.Services.Select(s => new ServiceOutcomeRecord
        {
            Service = s.Service,
            ConfigHash = s.ConfigHash,
            Action = ActionName(s.Action),
            Error = string.IsNullOrEmpty(s.Error) ? null : s.Error,
            Image = planned.GetValueOrDefault(s.Service)?.Image ?? "",
            ImageDigest = planned.GetValueOrDefault(s.Service)?.ImageDigest ?? "",
        })];
        await db.SaveChangesAsync(ct);
        outcomes?.Finished(host, result, release.Outcome);
        feed?.Changed(result.App);
    }

    /// <summary>
    /// Deletes releases older than <paramref name="retention"/> and beyond the newest <paramref name="keepPerAppHost"/>
    /// of each app and host. The newest release of each app and host always stays.
    /// </summary>
    public async Task<int> PruneAsync(TimeSpan retention, int keepPerAppHost, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var cutoff = time.GetUtcNow() - retention;
        var rows = await db.Releases.AsNoTracking().Select(r => new { r.Id, r.App, r.Host, r.CreatedAt }).ToListAsync(ct);
        var doomed = rows.GroupBy(r => (r.App, r.Host))
            .SelectMany(g => g.OrderByDescending(r => r.Id).Skip(1).Select((r, i) => (r, Rank: i + 2)))
            .Where(x => x.Rank > Math.Max(1, keepPerAppHost) || x.r.CreatedAt < cutoff)
            .Select(x => x.r.Id)
            .ToList();
        var removed = 0;
        foreach (var chunk in doomed.Chunk(500))
        {
            removed += await db.Releases.Where(r => chunk.Contains(r.Id)).ExecuteDeleteAsync(ct);
        }
        return removed;
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
