using System.Collections.Concurrent;
using ConOps.Console.Apps;
using ConOps.Console.Compose;
using ConOps.Console.Fleet;
using ConOps.Console.Git;
using ConOps.Console.History;
using ConOps.Console.Registry;
using ConOps.Contract;
using ConOps.Shared;
using Google.Protobuf;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ConOps.Console.Sync;

/// <summary>
/// Why an app is synced, and by whom. <paramref name="Host"/> limits manual actions to one host;
/// <paramref name="Deploy"/> is a person's explicit "sync now": it deploys where approval is required and resumes a paused host.
/// </summary>
public sealed record SyncRequest(bool Force = false, string Trigger = "poll", string User = "", string? Host = null, bool ForceAgents = false, bool Deploy = false)
{
    /// <summary>Combines two requests that arrived while the app waited in the queue.</summary>
    public SyncRequest Merge(SyncRequest other) => new(
        Force || other.Force,
        Rank(other.Trigger) > Rank(Trigger) ? other.Trigger : Trigger,
        other.User.Length > 0 ? other.User : User,
        Host == other.Host ? Host : null,
        ForceAgents || other.ForceAgents,
        Deploy || other.Deploy);

    private static int Rank(string trigger) => trigger switch { "manual" => 3, "webhook" => 2, _ => 1 };
}

/// <summary>
/// Turns Git into desired state, one app at a time: fetch -> render -> resolve digests -> hash -> plan ->
/// publish -> record. Poll ticks, webhooks, API calls and start-up only enqueue; the coalescing queue makes sure
/// an app never syncs twice at once. A failing app shows its error, keeps its last good state and is retried
/// with backoff; the others carry on.
/// </summary>
public sealed partial class AppSyncer(
    IDbContextFactory<ConOpsDb> dbs,
    GitRepositories git,
    DigestResolver digests,
    SecretBox secrets,
    DesiredStatePublisher publisher,
    AgentSessions sessions,
    ReleaseLog releases,
    FleetState fleet,
    AppStateFeed feed,
    SourceStatus status,
    IOptions<ConsoleOptions> options,
    IOptions<SourcesOptions> sources,
    TimeProvider time,
    ILogger<AppSyncer> log) : BackgroundService
{
    private readonly CoalescingQueue _queue = new();

    // The last rendering per app, before digest resolution (bounded by the number of apps).
    private readonly ConcurrentDictionary<string, Rendering> _renders = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SyncRequest> _requests = new(StringComparer.Ordinal);

    // Deploying, approving and rolling back change the same per-host rows: one at a time.
    private readonly SemaphoreSlim _apply = new(1, 1);

    public void Enqueue(string app, SyncRequest request)
    {
        _requests.AddOrUpdate(app, request, (_, existing) => existing.Merge(request));
        _queue.Enqueue(app, request.Force);
    }

    public void EnqueueAll(SyncRequest request) => Enqueue(CoalescingQueue.AllApps, request);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using (var db = await dbs.CreateDbContextAsync(stoppingToken))
        {
            feed.Load(await db.AppHostStates.AsNoTracking().Where(s => s.Pending != null).ToListAsync(stoppingToken));
        }
        EnqueueAll(new SyncRequest(Force: true));
        while (!stoppingToken.IsCancellationRequested)
        {
            var (key, _) = await _queue.DequeueAsync(stoppingToken);
            _requests.TryRemove(key, out var request);
            request ??= new SyncRequest();
            var apps = key == CoalescingQueue.AllApps ? await AppNamesAsync(stoppingToken) : [key];
            foreach (var app in apps)
            {
                try
                {
                    await SyncAsync(app, request, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogSyncCrashed(app, ex);
                    Fail(app, $"internal error: {ex.Message}", transient: true);
                }
            }
        }
    }

    private async Task<List<string>> AppNamesAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Apps.Select(a => a.Name).ToListAsync(ct);
    }

    private async Task SyncAsync(string name, SyncRequest request, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var record = await db.Apps.AsNoTracking().FirstOrDefaultAsync(a => a.Name == name, ct);
        if (record is null)
        {
            await RemoveFromHostsAsync(name, keep: [], ct);
            status.Forget(name);
            _renders.TryRemove(name, out _);
            fleet.SetAppError(name, null);
            return;
        }
        var app = AppCatalog.Restore(record, secrets);
        var source = new GitSource(app.RepoUrl, app.Git);
        var runtime = status.Get(name);

        // 1. Fetch: one reference listing; nothing more when the branch has not moved and no digest check is due.
        string? head;
        try
        {
            head = await Observability.ConsoleMetrics.TimedGitPoll(git.RemoteTargetAsync(source, app.RefKind, app.RefName, ct));
        }
        catch (GitSourceException ex)
        {
            Fail(name, ex.Message, ex.Transient);
            return;
        }
        if (head is null)
        {
            Fail(name, $"{app.RefKind.ToString().ToLowerInvariant()} '{app.RefName}' does not exist in {app.RepoUrl}", transient: false);
            return;
        }
        var digestCheckDue = time.GetUtcNow() - runtime.LastDigestCheck >= sources.Value.DigestCheckInterval;
        if (!request.Force && runtime.Error is null && runtime.SyncedHead == head && !digestCheckDue)
        {
            return;
        }

        var targets = await TargetHostsAsync(db, app, ct);
        var deployed = await db.AppHostStates.AsNoTracking().Where(s => s.App == name).ToDictionaryAsync(s => s.Host, StringComparer.Ordinal, ct);
        // A digest check of an unchanged commit and definition reuses the rendering: only digests are asked again.
        var renderKey = $"{head}\n{record.Definition}\n{string.Join(',', targets)}";
        if (request.Force || !_renders.TryGetValue(name, out var rendering) || rendering.Key != renderKey)
        {
            try
            {
                var commit = await git.FetchAsync(source, app.RefKind, app.RefName, ct);
                var checkout = Path.Combine(options.Value.DataDirectory, "checkouts", name);
                await git.ExportAsync(app.RepoUrl, commit.Sha, app.Path, checkout, ct);
                var revision = app.RefKind == GitRefKind.Commit ? $"sha1:{commit.Sha}" : $"{app.RefName}@sha1:{commit.Sha}";
                var renderWarnings = new List<string>();
                rendering = new Rendering(renderKey, commit, RenderForHosts(app, targets, checkout, revision, renderWarnings), renderWarnings);
                _renders[name] = rendering;
            }
            catch (Exception ex) when (ex is ComposeException or GitSourceException or IOException)
            {
                // The last good state stays deployed; the user sees why the new one is not.
                _renders.TryRemove(name, out _);
                Fail(name, ex.Message, ex is GitSourceException { Transient: true } or IOException);
                return;
            }
        }
        var commitInfo = rendering.Commit;

        // 3. Resolve digests and 4. hash: the digest is part of the spec, so a re-pushed tag changes exactly its services' hashes.
        var warnings = new List<string>(rendering.Warnings);
        var byHost = new Dictionary<string, AppDesiredState>(StringComparer.Ordinal);
        var resolved = new Dictionary<AppDesiredState, AppDesiredState>(ReferenceEqualityComparer.Instance);
        foreach (var (host, rendered) in rendering.ByHost)
        {
            if (!resolved.TryGetValue(rendered, out var desired))
            {
                desired = rendered.Clone();
                await ResolveDigestsAsync(app, desired, deployed.GetValueOrDefault(host), request.Force, warnings, ct);
                resolved[rendered] = desired;
            }
            byHost[host] = desired;
        }

        status.Succeeded(name, head, time.GetUtcNow(), warnings);
        fleet.SetAppError(name, null);

        await _apply.WaitAsync(ct);
        try
        {
            foreach (var host in targets)
            {
                if (request.Host is not null && request.Host != host)
                {
                    continue;
                }
                await DecideAsync(app, host, byHost[host], commitInfo, request, ct);
            }
            await RemoveFromHostsAsync(name, keep: targets, ct);
        }
        finally
        {
            _apply.Release();
        }

        await using (var save = await dbs.CreateDbContextAsync(ct))
        {
            if (await save.Apps.FindAsync([name], ct) is { } stored)
            {
                stored.LastGoodCommit = commitInfo.Sha;
                await save.SaveChangesAsync(ct);
                feed.Changed(name);
            }
        }
        if (request.ForceAgents)
        {
            foreach (var host in targets.Where(h => request.Host is null || h == request.Host))
            {
                sessions.Send(host, new ConsoleMessage { SyncNow = new SyncNow { App = name, Force = true } });
            }
        }
    }

    /// <summary>Renders the app for every target host (digests not yet resolved); hosts without overrides share one rendering.</summary>
    private static Dictionary<string, AppDesiredState> RenderForHosts(AppDefinition app, IReadOnlyList<string> targets, string checkout, string revision, List<string> warnings)
    {
        // No files named: the compose loader discovers compose.yaml (or docker-compose.yml) and its override file.
        IReadOnlyList<string> baseFiles = app.ComposeFiles;
        if (baseFiles.Count == 0 && app.HostOverrides.Values.Any(o => o.ComposeFile is { Length: > 0 }))
        {
            // A host override is merged after the discovered files, so they must be named.
            baseFiles = Load(app, checkout, [], app.Variables).SourceFiles;
        }

        var rendered = new Dictionary<string, AppDesiredState>(StringComparer.Ordinal);
        var byInputs = new Dictionary<string, AppDesiredState>(StringComparer.Ordinal);
        foreach (var host in targets)
        {
            var files = new List<string>(baseFiles);
            var variables = new Dictionary<string, string>(app.Variables, StringComparer.Ordinal);
            if (app.HostOverrides.TryGetValue(host, out var hostOverride))
            {
                if (hostOverride.ComposeFile is { Length: > 0 } file)
                {
                    files.Add(file);
                }
                foreach (var (key, value) in hostOverride.Variables)
                {
                    variables[key] = value;
                }
            }
            var inputsKey = string.Join('\n', files) + "\0" + string.Join('\n', variables.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}={v.Value}"));
            if (!byInputs.TryGetValue(inputsKey, out var desired))
            {
                foreach (var file in files)
                {
                    if (AppDefinition.LeavesRepository(file))
                    {
                        throw new GitSourceException($"compose file '{file}' leaves the repository", transient: false);
                    }
                    if (!File.Exists(Path.Combine(checkout, file)))
                    {
                        throw new ComposeException($"compose file '{file}' not found in '{app.Path}'{(hostOverride?.ComposeFile == file ? $" (override for host {host})" : "")}");
                    }
                }

                // 2. Render: normalize the compose files into the contract's model.
                var project = Load(app, checkout, files, variables);
                desired = new AppDesiredState
                {
                    App = app.Name,
                    Revision = revision,
                    Policy = new SyncPolicy { SelfHeal = app.Policy.SelfHeal, Prune = app.Policy.Prune },
                };
                desired.Services.AddRange(project.Services.Select(s => new DesiredService { Spec = s.Spec.Clone(), ConfigHash = s.ConfigHash }));
                desired.Networks.AddRange(project.Networks);
                desired.Volumes.AddRange(project.Volumes);
                desired.Files.AddRange(project.Files);
                warnings.AddRange(project.Warnings);
                byInputs[inputsKey] = desired;
            }
            rendered[host] = desired;
        }
        return rendered;
    }

    private static ComposeProject Load(AppDefinition app, string checkout, IReadOnlyList<string> files, IReadOnlyDictionary<string, string> variables) =>
        ComposeLoader.Load(new ComposeLoadRequest(checkout, files, variables, app.Profiles, app.Name) { EnvFiles = app.EnvFiles, RootDirectory = checkout });

    private async Task ResolveDigestsAsync(AppDefinition app, AppDesiredState desired, AppHostStateRecord? deployed, bool refresh, List<string> warnings, CancellationToken ct)
    {
        var credentials = app.Registries.Where(r => !string.IsNullOrEmpty(r.Password))
            .Select(r => new RegistryCredential { Server = r.Server, Username = r.Username, Password = r.Password }).ToList();
        var previous = deployed?.Deployed is { } bytes ? AppDesiredState.Parser.ParseFrom(bytes).Services.ToDictionary(s => s.Spec.Name, StringComparer.Ordinal) : [];
        // Services sharing an image ask its registry once per rendering, even when refreshing.
        var asked = new Dictionary<(string Image, string? LastKnown), DigestResolution>();
        foreach (var service in desired.Services)
        {
            var spec = service.Spec;
            if (string.IsNullOrEmpty(spec.Image) || spec.PullPolicy is "never" or "build" || !string.IsNullOrEmpty(spec.ImageDigest))
            {
                continue;
            }
            var lastKnown = previous.TryGetValue(spec.Name, out var old) && old.Spec.Image == spec.Image && old.Spec.ImageDigest.Length > 0 ? old.Spec.ImageDigest : null;
            if (!asked.TryGetValue((spec.Image, lastKnown), out var resolution))
            {
                resolution = await digests.ResolveAsync(spec.Image, credentials, lastKnown, refresh, ct);
                asked[(spec.Image, lastKnown)] = resolution;
            }
            if (resolution.Warning is not null)
            {
                warnings.Add($"service {spec.Name}: {resolution.Warning}");
            }
            spec.ImageDigest = resolution.Digest ?? "";
            service.ConfigHash = ConfigHash.Compute(spec);
        }
    }

    /// <summary>5. Plan and 6. publish for one host: no change, pending approval, paused, or deploy.</summary>
    private async Task DecideAsync(AppDefinition app, string host, AppDesiredState desired, GitCommit commit, SyncRequest request, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var state = await db.AppHostStates.FindAsync([app.Name, host], ct);
        if (state is null)
        {
            state = new AppHostStateRecord { App = app.Name, Host = host };
            db.AppHostStates.Add(state);
        }
        var current = state.Deployed is null ? null : AppDesiredState.Parser.ParseFrom(state.Deployed);

        if (state.PausedReason is not null)
        {
            if (state.PausedAtCommit != commit.Sha)
            {
                LogPauseLifted(app.Name, host, commit.Sha);
                state.PausedReason = null;
                state.PausedAtCommit = null;
            }
            else if (!request.Deploy)
            {
                await db.SaveChangesAsync(ct);
                feed.Changed(state);
                return;
            }
            else
            {
                // Someone asked for a sync of this host: that is resuming it.
                state.PausedReason = null;
                state.PausedAtCommit = null;
            }
        }

        if (ChangePlan.SameDeployment(current, desired))
        {
            var hadPending = state.Pending is not null;
            state.Pending = null;
            state.PendingPlan = null;
            if (current!.Revision != desired.Revision && state.DeployedCommit != commit.Sha)
            {
                LogNoChange(app.Name, host, commit.Sha);
                Observability.ConsoleMetrics.SyncUnchanged();
                await releases.NoChangeAsync(app.Name, host, desired.Revision, commit.Message, commit.Author, request.Trigger, ct);
            }
            state.DeployedCommit = commit.Sha;
            await db.SaveChangesAsync(ct);
            feed.Changed(state);
            if (hadPending)
            {
                LogPendingWithdrawn(app.Name, host);
            }
            // Idempotent: also delivers state to a host that just became a target.
            await publisher.PublishAsync(host, ct);
            return;
        }

        var plan = ChangePlan.Between(current, desired);
        if (app.Policy.RequiresApproval(host) && !request.Deploy)
        {
            var bytes = desired.ToByteArray();
            if (state.Pending is null || !state.Pending.AsSpan().SequenceEqual(bytes))
            {
                state.Pending = bytes;
                state.PendingPlan = System.Text.Json.JsonSerializer.Serialize(plan, Json);
                state.PendingCommit = commit.Sha;
                state.PendingMessage = commit.Message;
                state.PendingAuthor = commit.Author;
                state.PendingTrigger = request.Trigger;
                state.PendingSince = time.GetUtcNow();
                LogPendingApproval(app.Name, host, plan.Summary);
            }
            await db.SaveChangesAsync(ct);
            feed.Changed(state);
            return;
        }

        state.Deployed = desired.ToByteArray();
        state.DeployedCommit = commit.Sha;
        state.Pending = null;
        state.PendingPlan = null;
        await db.SaveChangesAsync(ct);
        feed.Changed(state);
        await PublishReleaseAsync(host, desired, commit.Message, commit.Author, request.Trigger, request.User, ct);
        LogPublished(app.Name, host, desired.Revision, plan.Summary);
        Observability.ConsoleMetrics.SyncPublished();
    }

    /// <summary>Deploys the change waiting for approval on one host, exactly as it was shown.</summary>
    public async Task<string?> ApproveAsync(string app, string host, string user, CancellationToken ct)
    {
        await _apply.WaitAsync(ct);
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var state = await db.AppHostStates.FindAsync([app, host], ct);
            if (state?.Pending is null)
            {
                return $"Nothing waits for approval for app '{app}' on host '{host}'.";
            }
            var desired = AppDesiredState.Parser.ParseFrom(state.Pending);
            state.Deployed = state.Pending;
            state.DeployedCommit = state.PendingCommit;
            state.Pending = null;
            state.PendingPlan = null;
            await db.SaveChangesAsync(ct);
            feed.Changed(state);
            await PublishReleaseAsync(host, desired, state.PendingMessage, state.PendingAuthor, state.PendingTrigger is { Length: > 0 } t ? t : "manual", user, ct);
            LogApproved(app, host, user);
            return null;
        }
        finally
        {
            _apply.Release();
        }
    }

    /// <summary>
    /// Redeploys a recorded release with its pinned digests and pauses automated sync of the app on that host
    /// until a new commit arrives or someone resumes it.
    /// </summary>
    public async Task<string?> RollbackAsync(string app, string host, long releaseId, string user, CancellationToken ct)
    {
        await _apply.WaitAsync(ct);
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var release = await db.Releases.AsNoTracking().FirstOrDefaultAsync(r => r.Id == releaseId && r.App == app && r.Host == host, ct);
            if (release?.Model is not { Length: > 0 } model)
            {
                return $"Release {releaseId} of app '{app}' on host '{host}' does not exist or has no recorded model to redeploy.";
            }
            var desired = JsonParser.Default.Parse<AppDesiredState>(model);
            var state = await db.AppHostStates.FindAsync([app, host], ct);
            if (state is null)
            {
                state = new AppHostStateRecord { App = app, Host = host };
                db.AppHostStates.Add(state);
            }
            state.Deployed = desired.ToByteArray();
            state.DeployedCommit = CommitOf(desired.Revision);
            state.Pending = null;
            state.PendingPlan = null;
            state.PausedAtCommit = status.Get(app).SyncedHead ?? state.DeployedCommit;
            state.PausedReason = $"Automated sync is paused on {host}: rolled back to release {releaseId} ({desired.Revision}). It resumes when a new commit arrives, or when you resume it.";
            await db.SaveChangesAsync(ct);
            feed.Changed(state);
            await PublishReleaseAsync(host, desired, release.CommitMessage, release.CommitAuthor, "rollback", user, ct);
            LogRolledBack(app, host, releaseId, user);
            return null;
        }
        finally
        {
            _apply.Release();
        }
    }

    /// <summary>Lifts a pause and syncs the app on that host to its newest revision.</summary>
    public async Task<string?> ResumeAsync(string app, string host, string user, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var state = await db.AppHostStates.FindAsync([app, host], ct);
        if (state?.PausedReason is null)
        {
            return $"Automated sync of app '{app}' is not paused on host '{host}'.";
        }
        state.PausedReason = null;
        state.PausedAtCommit = null;
        await db.SaveChangesAsync(ct);
        feed.Changed(state);
        Enqueue(app, new SyncRequest(Force: true, Trigger: "manual", User: user, Host: host));
        return null;
    }

    private async Task PublishReleaseAsync(string host, AppDesiredState desired, string message, string author, string trigger, string user, CancellationToken ct)
    {
        var (generation, _) = await publisher.PublishAsync(host, ct);
        await releases.OpenAsync(new ReleaseDraft(desired.App, host, generation, desired.Revision, message, author, trigger, user, desired), ct);
    }

    /// <summary>Hosts named by the app plus hosts whose labels match its selector.</summary>
    private static async Task<List<string>> TargetHostsAsync(ConOpsDb db, AppDefinition app, CancellationToken ct)
    {
        var targets = new SortedSet<string>(app.Hosts, StringComparer.Ordinal);
        if (app.HostSelector.Count > 0)
        {
            foreach (var host in await db.Hosts.AsNoTracking().ToListAsync(ct))
            {
                if (app.HostSelector.All(l => host.Labels.TryGetValue(l.Key, out var v) && v == l.Value))
                {
                    targets.Add(host.Name);
                }
            }
        }
        return [.. targets];
    }

    /// <summary>
    /// Removes the app from hosts it no longer targets. The host keeps a tombstone, the app with no services and
    /// prune on, so its agent removes the containers instead of merely forgetting them.
    /// </summary>
    private async Task RemoveFromHostsAsync(string app, IReadOnlyCollection<string> keep, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var gone = await db.AppHostStates.Where(s => s.App == app && !keep.Contains(s.Host) && s.DeployedCommit != Removed).ToListAsync(ct);
        if (gone.Count == 0)
        {
            return;
        }
        var tombstone = new AppDesiredState { App = app, Revision = Removed, Policy = new SyncPolicy { Prune = true } }.ToByteArray();
        foreach (var state in gone)
        {
            state.Deployed = tombstone;
            state.DeployedCommit = Removed;
            state.Pending = null;
            state.PendingPlan = null;
            state.PausedReason = null;
            state.PausedAtCommit = null;
        }
        await db.SaveChangesAsync(ct);
        foreach (var state in gone)
        {
            feed.Changed(state);
            await publisher.PublishAsync(state.Host, ct);
            LogRemovedFromHost(app, state.Host);
        }
    }

    /// <summary>Marks a host's tombstone of an app that no longer targets it.</summary>
    public const string Removed = "removed";

    private void Fail(string app, string error, bool transient)
    {
        var retryIn = status.Failed(app, error, transient, time.GetUtcNow(), sources.Value.MinRetryDelay, sources.Value.MaxRetryDelay);
        LogSyncFailed(app, error, retryIn);
        Observability.ConsoleMetrics.SyncFailed();
        fleet.SetAppError(app, error);
    }

    private static string? CommitOf(string revision)
    {
        var at = revision.LastIndexOf("sha1:", StringComparison.Ordinal);
        return at < 0 ? null : revision[(at + 5)..];
    }

    private sealed record Rendering(string Key, GitCommit Commit, Dictionary<string, AppDesiredState> ByHost, List<string> Warnings);

    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

    public override void Dispose()
    {
        _apply.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "App {App} on {Host}: published {Revision} ({Plan})")]
    private partial void LogPublished(string app, string host, string revision, string plan);

    [LoggerMessage(Level = LogLevel.Information, Message = "App {App} on {Host}: commit {Commit} changes no service; nothing to deploy")]
    private partial void LogNoChange(string app, string host, string commit);

    [LoggerMessage(Level = LogLevel.Information, Message = "App {App} on {Host}: change waits for approval ({Plan})")]
    private partial void LogPendingApproval(string app, string host, string plan);

    [LoggerMessage(Level = LogLevel.Information, Message = "App {App} on {Host}: the change waiting for approval was reverted in Git; nothing to approve")]
    private partial void LogPendingWithdrawn(string app, string host);

    [LoggerMessage(Level = LogLevel.Information, Message = "App {App} on {Host}: change approved by {User}")]
    private partial void LogApproved(string app, string host, string user);

    [LoggerMessage(Level = LogLevel.Information, Message = "App {App} on {Host}: rolled back to release {Release} by {User}; automated sync paused")]
    private partial void LogRolledBack(string app, string host, long release, string user);

    [LoggerMessage(Level = LogLevel.Information, Message = "App {App} on {Host}: new commit {Commit} lifts the pause")]
    private partial void LogPauseLifted(string app, string host, string commit);

    [LoggerMessage(Level = LogLevel.Information, Message = "App {App}: removed from host {Host}")]
    private partial void LogRemovedFromHost(string app, string host);

    [LoggerMessage(Level = LogLevel.Warning, Message = "App {App}: sync failed, keeping the last good state; retry in {RetryIn}: {Error}")]
    private partial void LogSyncFailed(string app, string error, TimeSpan retryIn);

    [LoggerMessage(Level = LogLevel.Error, Message = "App {App}: sync crashed")]
    private partial void LogSyncCrashed(string app, Exception ex);
}
