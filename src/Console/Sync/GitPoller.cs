using ConOps.Console.Apps;
using ConOps.Console.Git;
using ConOps.Console.History;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ConOps.Console.Sync;

/// <summary>
/// Every poll interval (with jitter), asks each repository where the followed references point: one reference
/// listing per repository and credentials, a bounded number at a time. Only apps whose reference moved, whose
/// digest check is due, or whose retry time has come are queued for a sync. Also prunes old history.
/// </summary>
public sealed partial class GitPoller(
    IDbContextFactory<ConOpsDb> dbs,
    GitRepositories git,
    SecretBox secrets,
    AppSyncer syncer,
    SourceStatus status,
    FleetFile fleetFile,
    ReleaseLog releases,
    IOptions<ConsoleOptions> options,
    IOptions<SourcesOptions> sources,
    TimeProvider time,
    ILogger<GitPoller> log) : BackgroundService
{
    private DateTimeOffset _lastPrune = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // +-10% jitter so consoles (and restarts) do not poll in lockstep.
            var interval = options.Value.PollInterval * (0.9 + (Random.Shared.NextDouble() * 0.2));
            await Task.Delay(interval, time, stoppingToken);
            try
            {
                await fleetFile.RefreshAsync(stoppingToken);
                await PollOnceAsync(stoppingToken);
                await PruneHistoryAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPollCrashed(ex);
            }
        }
    }

    /// <summary>One round over every app; returns how many were queued.</summary>
    public async Task<int> PollOnceAsync(CancellationToken ct)
    {
        List<AppRecord> records;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            records = await db.Apps.AsNoTracking().ToListAsync(ct);
        }
        var now = time.GetUtcNow();
        var due = new List<AppDefinition>();
        foreach (var record in records)
        {
            var app = AppCatalog.Restore(record, secrets);
            var state = status.Get(app.Name);
            if (state.Error is not null)
            {
                if (!status.InBackoff(app.Name, now))
                {
                    syncer.Enqueue(app.Name, new SyncRequest());
                }
                continue;
            }
            if (now - state.LastDigestCheck >= sources.Value.DigestCheckInterval)
            {
                syncer.Enqueue(app.Name, new SyncRequest());
                continue;
            }
            if (app.RefKind != GitRefKind.Commit)
            {
                due.Add(app);
            }
        }

        // Apps following the same reference of the same repository share one listing.
        var queued = 0;
        var groups = due.GroupBy(a => (new GitSource(a.RepoUrl, a.Git).Key, a.RefKind, a.RefName)).ToList();
        await Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, sources.Value.MaxConcurrentPolls), CancellationToken = ct }, async (group, token) =>
        {
            var first = group.First();
            string? head;
            try
            {
                head = await Observability.ConsoleMetrics.TimedGitPoll(git.RemoteTargetAsync(new GitSource(first.RepoUrl, first.Git), first.RefKind, first.RefName, token));
            }
            catch (GitSourceException)
            {
                // The sync reports the error with its cause and starts the backoff.
                head = "";
            }
            foreach (var app in group)
            {
                if (head != status.Get(app.Name).SyncedHead)
                {
                    syncer.Enqueue(app.Name, new SyncRequest());
                    Interlocked.Increment(ref queued);
                }
            }
        });
        return queued;
    }

    private async Task PruneHistoryAsync(CancellationToken ct)
    {
        if (time.GetUtcNow() - _lastPrune < TimeSpan.FromHours(1))
        {
            return;
        }
        _lastPrune = time.GetUtcNow();
        var removed = await releases.PruneAsync(sources.Value.HistoryRetention, sources.Value.KeepReleasesPerAppHost, ct);
        if (removed > 0)
        {
            LogPruned(removed);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "History retention removed {Count} old release(s)")]
    private partial void LogPruned(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Polling round crashed; the next round runs as planned")]
    private partial void LogPollCrashed(Exception ex);
}
