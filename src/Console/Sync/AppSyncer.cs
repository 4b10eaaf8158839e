using ConOps.Console.Compose;
using ConOps.Console.Fleet;
using ConOps.Console.Git;
using ConOps.Console.History;
using ConOps.Contract;
using ConOps.Shared;
using Google.Protobuf;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using LibGit2SharpException = LibGit2Sharp.LibGit2SharpException;

namespace ConOps.Console.Sync;

/// <summary>
/// Turns Git into desired state, one app at a time: fetch -> render -> hash -> compare -> publish -> record.
/// Poll ticks, API calls and start-up only enqueue; the coalescing queue makes sure an app never syncs twice
/// at once. A failing app shows its error and keeps its last good state; the others carry on.
/// </summary>
public sealed partial class AppSyncer(
    IDbContextFactory<ConOpsDb> dbs,
    GitRepositories git,
    DesiredStatePublisher publisher,
    ReleaseLog releases,
    FleetState fleet,
    IOptions<ConsoleOptions> options,
    TimeProvider time,
    ILogger<AppSyncer> log) : BackgroundService
{
    private readonly CoalescingQueue _queue = new();

    // Remote head last synced per app, so a poll that finds the branch unmoved costs one ref listing.
    private readonly Dictionary<string, string> _syncedHeads = new(StringComparer.Ordinal);

    public void Enqueue(string app, bool force = false) => _queue.Enqueue(app, force);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _ = PollAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            var (key, force) = await _queue.DequeueAsync(stoppingToken);
            var apps = key == CoalescingQueue.AllApps ? await AppNamesAsync(stoppingToken) : [key];
            foreach (var app in apps)
            {
                try
                {
                    await SyncAsync(app, force, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogSyncCrashed(app, ex);
                    fleet.SetAppError(app, $"internal error: {ex.Message}");
                }
            }
        }
    }

    private async Task PollAsync(CancellationToken stoppingToken)
    {
        _queue.Enqueue(CoalescingQueue.AllApps, force: true);
        while (!stoppingToken.IsCancellationRequested)
        {
            // +-10% jitter so many consoles (or many apps later) do not poll in lockstep.
            var interval = options.Value.PollInterval * (0.9 + (Random.Shared.NextDouble() * 0.2));
            await Task.Delay(interval, time, stoppingToken);
            _queue.Enqueue(CoalescingQueue.AllApps);
        }
    }

    private async Task<List<string>> AppNamesAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Apps.Select(a => a.Name).ToListAsync(ct);
    }

    private async Task SyncAsync(string name, bool force, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var app = await db.Apps.FindAsync([name], ct);
        if (app is null)
        {
            return;
        }

        // 1. Fetch: skip everything when the branch has not moved.
        string? head;
        try
        {
            head = await Task.Run(() => GitRepositories.RemoteHead(app.RepoUrl, app.Branch), ct);
        }
        catch (LibGit2SharpException ex)
        {
            Fail(app.Name, $"cannot reach repository {app.RepoUrl}: {ex.Message}");
            return;
        }
        if (head is null)
        {
            Fail(app.Name, $"branch '{app.Branch}' does not exist in {app.RepoUrl}");
            return;
        }
        if (!force && _syncedHeads.GetValueOrDefault(app.Name) == head)
        {
            return;
        }

        GitCommit commit;
        AppDesiredState desired;
        try
        {
            commit = await git.FetchAsync(app.RepoUrl, app.Branch, ct);

            // 2. Render: export the app's folder at that commit and normalize its compose file.
            var checkout = Path.Combine(options.Value.DataDirectory, "checkouts", app.Name);
            await git.ExportAsync(app.RepoUrl, commit.Sha, app.Path, checkout, ct);
            // No files named: the default compose file and its override are discovered, and .env is read, as docker compose does.
            var project = ComposeLoader.Load(new ComposeLoadRequest(checkout, [], new Dictionary<string, string>(), [], app.Name));

            // 3. Hash: each service carries the hash of its normalized spec.
            desired = new AppDesiredState
            {
                App = app.Name,
                Revision = $"{app.Branch}@sha1:{commit.Sha}",
                Policy = new SyncPolicy { SelfHeal = true, Prune = true },
            };
            desired.Services.AddRange(project.Services.Select(s => new DesiredService { Spec = s.Spec, ConfigHash = s.ConfigHash }));
            desired.Networks.AddRange(project.Networks);
            desired.Volumes.AddRange(project.Volumes);
            desired.Files.AddRange(project.Files);
        }
        catch (Exception ex) when (ex is ComposeException or GitSourceException or LibGit2SharpException or IOException)
        {
            // The last good state stays deployed; the user sees why the new one is not.
            Fail(app.Name, ex.Message);
            _syncedHeads[app.Name] = head;
            return;
        }

        fleet.SetAppError(app.Name, null);
        _syncedHeads[app.Name] = head;
        var trigger = force ? "manual" : "poll";

        fleet.SetDesired(app.Name, app.Hosts, desired.Services.ToDictionary(s => s.Spec.Name, s => s.ConfigHash, StringComparer.Ordinal));

        // 4. Compare: a commit that changes no service hash deploys nothing.
        var previous = app.LastGoodState is null ? null : AppDesiredState.Parser.ParseFrom(app.LastGoodState);
        if (previous is not null && SameServices(previous, desired))
        {
            if (previous.Revision != desired.Revision)
            {
                LogNoChange(app.Name, commit.Sha);
                foreach (var host in app.Hosts)
                {
                    await releases.NoChangeAsync(app.Name, host, desired.Revision, commit.Message, commit.Author, trigger, ct);
                }
                app.LastGoodCommit = commit.Sha;
                await db.SaveChangesAsync(ct);
            }
            // Target hosts may have changed even when the services did not; publishing is idempotent.
            foreach (var host in app.Hosts)
            {
                await publisher.PublishAsync(host, ct);
            }
            return;
        }

        app.LastGoodState = desired.ToByteArray();
        app.LastGoodCommit = commit.Sha;
        await db.SaveChangesAsync(ct);

        // 5. Publish to every target host and 6. open a release per host.
        foreach (var host in app.Hosts)
        {
            var (generation, _) = await publisher.PublishAsync(host, ct);
            await releases.OpenAsync(app.Name, host, generation, desired.Revision, commit.Message, commit.Author, trigger, ct);
        }
        LogPublished(app.Name, desired.Revision, desired.Services.Count, app.Hosts.Count);
    }

    private static bool SameServices(AppDesiredState a, AppDesiredState b) =>
        a.Services.Select(s => s.ConfigHash).Order(StringComparer.Ordinal)
            .SequenceEqual(b.Services.Select(s => s.ConfigHash).Order(StringComparer.Ordinal))
        && a.Policy.Equals(b.Policy);

    private void Fail(string app, string error)
    {
        LogSyncFailed(app, error);
        fleet.SetAppError(app, error);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "App {App}: published {Revision} ({Services} service(s)) to {Hosts} host(s)")]
    private partial void LogPublished(string app, string revision, int services, int hosts);

    [LoggerMessage(Level = LogLevel.Information, Message = "App {App}: commit {Commit} changes no service; nothing to deploy")]
    private partial void LogNoChange(string app, string commit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "App {App}: sync failed, keeping the last good state: {Error}")]
    private partial void LogSyncFailed(string app, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "App {App}: sync crashed")]
    private partial void LogSyncCrashed(string app, Exception ex);
}
