using System.Runtime.CompilerServices;
using ConOps.Agent.Connection;
using ConOps.Agent.Docker;
using ConOps.Contract;
using ConOps.Shared;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;

namespace ConOps.Agent.Reconcile;

/// <summary>
/// Drives the engine toward the desired state, one app at a time:
/// observe -> plan -> apply -> observe again -> report.
/// Everything that wants a reconcile (a new desired state, an engine event, the periodic tick, "sync now", a
/// backoff expiring) only enqueues; this loop is the only place that changes containers.
/// </summary>
public sealed partial class Reconciler : BackgroundService
{
    private readonly DesiredStateStore _desired;
    private readonly EngineClient _engine;
    private readonly AgentOutbox _outbox;
    private readonly ServiceStatusBook _statuses;
    private readonly InspectCache _cache;
    private readonly FileStore _files;
    private readonly ProjectFolder _project;
    private readonly ImagePuller _images;
    private readonly AppResources _resources;
    private readonly AgentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<Reconciler> _log;
    private readonly CoalescingQueue _queue = new();
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly FlapGuard _flaps;

    // Per app: the desired services (by hash) last applied successfully, to tell a deployment (new desired
    // state, always applied) from drift (undone only when self-heal is on).
    private readonly Dictionary<string, string> _appliedFingerprints = new(StringComparer.Ordinal);

    // Per app and service: the last failed apply, shown until an apply succeeds, and retried with backoff.
    private readonly Dictionary<(string App, string Service), ApplyFailure> _failures = [];

    // Per app and service: a warning from the last apply (e.g. a local image used because the registry was away).
    private readonly Dictionary<(string App, string Service), string> _warnings = [];

    private long _generationSeen = -1;

    // Hash verification is done once per received spec object.
    private readonly ConditionalWeakTable<DesiredService, string> _hashErrors = [];

    public Reconciler(
        DesiredStateStore desired,
        EngineClient engine,
        AgentOutbox outbox,
        ServiceStatusBook statuses,
        InspectCache cache,
        FileStore files,
        ProjectFolder project,
        ImagePuller images,
        AppResources resources,
        IOptions<AgentOptions> options,
        TimeProvider time,
        ILogger<Reconciler> log)
    {
        _desired = desired;
        _engine = engine;
        _outbox = outbox;
        _statuses = statuses;
        _cache = cache;
        _files = files;
        _project = project;
        _images = images;
        _resources = resources;
        _options = options.Value;
        _time = time;
        _log = log;
        _flaps = new FlapGuard(time, _options.FlapWindow, _options.FlapFreeRestarts, _options.FlapBaseDelay, _options.FlapMaxDelay);
    }

    public void Enqueue(string app, bool force = false) =>
        _queue.Enqueue(string.IsNullOrEmpty(app) ? CoalescingQueue.AllApps : app, force);

    /// <summary>
    /// Reconciles one app now and returns the plan it ended with (after applying). The loop uses the same
    /// path; tests and benchmarks call it to drive one pass deterministically.
    /// </summary>
    public async Task<ReconcilePlan?> ReconcileNowAsync(string app, bool force, CancellationToken ct)
    {
        var state = _desired.Current;
        var desiredApp = state.Apps.FirstOrDefault(a => a.App == app);
        if (desiredApp is null)
        {
            return null;
        }
        await _oneAtATime.WaitAsync(ct);
        try
        {
            return await ReconcileAppAsync(desiredApp, state.Generation, force, ct);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _queue.Enqueue(CoalescingQueue.AllApps);
        _ = TickAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            var (key, force) = await _queue.DequeueAsync(stoppingToken);
            var state = _desired.Current;
            var apps = key == CoalescingQueue.AllApps ? state.Apps.ToList() : state.Apps.Where(a => a.App == key).ToList();
            foreach (var app in apps)
            {
                await _oneAtATime.WaitAsync(stoppingToken);
                try
                {
                    await ReconcileAppAsync(app, state.Generation, force, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One failing app (or an engine hiccup) must never stop the loop for the others.
                    LogReconcileFailed(app.App, ex.Message, ex);
                }
                finally
                {
                    _oneAtATime.Release();
                }
            }
            if (key == CoalescingQueue.AllApps)
            {
                IReadOnlySet<string> orphanApps = new HashSet<string>(StringComparer.Ordinal);
                await _oneAtATime.WaitAsync(stoppingToken);
                try
                {
                    orphanApps = await ReconcileRemovedAppsAsync(state, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogReconcileFailed("(apps no longer desired)", ex.Message, ex);
                }
                finally
                {
                    _oneAtATime.Release();
                }
                ForgetUndesired(state, orphanApps);
            }
        }
    }

    private async Task TickAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.ReconcileInterval, _time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            _queue.Enqueue(CoalescingQueue.AllApps);
        }
    }

    /// <summary>Apps gone from desired state: stop reporting them (unless they left orphans) and drop their stored files.</summary>
    private void ForgetUndesired(DesiredState state, IReadOnlySet<string> orphanApps)
    {
        var apps = state.Apps.Select(a => a.App).Concat(orphanApps).ToHashSet(StringComparer.Ordinal);
        var removed = _statuses.Retain(apps, _time.GetUtcNow());
        if (removed.Count > 0)
        {
            var report = new StatusReport();
            report.Services.AddRange(removed);
            _outbox.Post(new AgentMessage { Status = report });
        }
        var digests = state.Apps.SelectMany(a => a.Files).Select(f => f.Digest).ToHashSet(StringComparer.Ordinal);
        try
        {
            _files.Prune(digests);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            LogFilePruneFailed(ex.Message);
        }
    }

    private async Task<ReconcilePlan> ReconcileAppAsync(AppDesiredState app, long generation, bool force, CancellationToken ct)
    {
        if (generation != _generationSeen)
        {
            // New desired state (perhaps new credentials): failed changes may be retried at once.
            _generationSeen = generation;
            foreach (var key in _failures.Keys.ToList())
            {
                _failures[key] = _failures[key] with { RetryAt = DateTimeOffset.MinValue };
            }
        }
        LogReconcileStarted(app.App, force);
        using var timing = Observability.AgentMetrics.MeasureReconcile();
        var observed = await ObserveAsync(app, ct);
        var plan = ReconcilePlan.For(app, observed, force);
        LogPlanned(app.App, observed.Count, plan.HasChanges);
        var fingerprint = Fingerprint(app);
        var isDeployment = !_appliedFingerprints.TryGetValue(app.App, out var applied) || applied != fingerprint;
        Observability.AgentMetrics.Observed(isDeployment, plan.HasChanges);
        var selfHeal = app.Policy?.SelfHeal == true;
        var mayApply = isDeployment || force || selfHeal;

        if (mayApply && (plan.HasChanges || isDeployment))
        {
            var trigger = isDeployment ? "deploy" : force ? "sync" : "self-heal";
            var started = _time.GetUtcNow();
            if (plan.HasChanges)
            {
                ReportPlanned(app, plan);
            }
            var outcomes = plan.HasChanges ? await ApplyAsync(app, plan, isDeployment, force, ct) : [];
            Observability.AgentMetrics.Applied(trigger, outcomes);
            var result = new ApplyResult
            {
                Generation = generation,
                App = app.App,
                Revision = app.Revision,
                Trigger = trigger,
                StartedAt = Timestamp.FromDateTimeOffset(started),
                FinishedAt = Timestamp.FromDateTimeOffset(_time.GetUtcNow()),
            };
            result.Services.AddRange(FoldOutcomes(outcomes));
            var touched = outcomes.Select(o => o.Service).ToHashSet(StringComparer.Ordinal);
            result.Services.AddRange(plan.Services.Where(s => !touched.Contains(s.Name)).DistinctBy(s => s.Name).Select(u => new ServiceApplyOutcome
            {
                Service = u.Name,
                ConfigHash = u.Desired.ConfigHash,
                Action = ApplyAction.Unchanged,
                Reason = u.Reason,
            }));
            if (outcomes.Count > 0 || isDeployment)
            {
                _outbox.Post(new AgentMessage { ApplyResult = result });
            }
            if (outcomes.All(o => o.Action != ApplyAction.Failed))
            {
                _appliedFingerprints[app.App] = fingerprint;
                if (isDeployment && app.Services.Count == 0 && app.Policy?.Prune == true)
                {
                    // The app was deleted in the console: its containers are gone, its networks go too.
                    await RemoveAppNetworksAsync(app.App, ct);
                }
            }
            if (outcomes.Count > 0)
            {
                LogApplied(app.App, trigger, outcomes.Count, outcomes.Count(o => o.Action == ApplyAction.Failed));
                observed = await ObserveAsync(app, ct);
                plan = ReconcilePlan.For(app, observed, force: false);
            }
        }

        Report(app, plan, selfHeal || isDeployment);
        return plan;
    }

    // The policy counts: a change of policy alone is a release the console waits to see applied.
    private static string Fingerprint(AppDesiredState app) =>
        $"{app.Revision}|self-heal={app.Policy?.SelfHeal}|prune={app.Policy?.Prune}|" + string.Join(",", app.Services.Select(s => s.ConfigHash).Order(StringComparer.Ordinal));

    /// <summary>
    /// One filtered list call per app, plus an inspect only for containers the cache does not know (new,
    /// changed state, or touched by an engine event). A converged host therefore costs one call.
    /// </summary>
    private async Task<IReadOnlyList<ObservedContainer>> ObserveAsync(AppDesiredState app, CancellationToken ct)
    {
        var containers = await _engine.ListContainersAsync([ManagedLabels.ManagedFilter, $"{ManagedLabels.App}={app.App}"], ct);
        _cache.Retain(containers.Select(c => c.Id).ToHashSet(StringComparer.Ordinal), app.App);

        var desiredByName = app.Services.ToDictionary(s => s.Spec.Name, StringComparer.Ordinal);
        var observed = new List<ObservedContainer>(containers.Count);
        foreach (var listed in containers)
        {
            var basic = ObservedContainer.From(listed);
            var entry = _cache.Get(listed.Id, listed.State);
            if (entry is null)
            {
                try
                {
                    var inspect = await _engine.InspectContainerAsync(listed.Id, ct);
                    entry = new CachedContainer(app.App, listed.State, inspect);
                    _cache.Put(listed.Id, entry);
                }
                catch (EngineException ex) when (ex.IsNotFound)
                {
                    continue;
                }
            }
            var image = await ImageAsync(listed.ImageId ?? "", ct);
            if (desiredByName.TryGetValue(basic.Service, out var desired) && ReconcilePlan.SameConfig(basic, desired) && entry.DriftForHash != desired.ConfigHash)
            {
                entry.Drift = DriftOf(app, desired, basic.Number, entry.Inspect, image);
                entry.DriftForHash = desired.ConfigHash;
            }
            observed.Add(basic.WithDetails(entry, image, desired));
        }
        return observed;
    }

    private LiveDriftFindings DriftOf(AppDesiredState app, DesiredService desired, int number, ContainerInspectResponse live, ImageInspectResponse? image)
    {
        try
        {
            var definition = ContainerDefinition.For(app, desired, ManagedLabels.ContainerName(app.App, desired.Spec, number), number, _files.Locate, _project.Root(app.App), ComposeFile(app.App));
            var networks = ContainerDefinition.Endpoints(app, desired.Spec).Select(e => e.Network).ToList();
            return LiveDrift.Compare(definition, networks, live, image, desired.Spec.ImageDigest);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            // The spec cannot be turned into a container (e.g. a file was not delivered): the apply says why.
            return LiveDriftFindings.None;
        }
    }

    private async Task<ImageInspectResponse?> ImageAsync(string imageId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(imageId))
        {
            return null;
        }
        var image = _cache.Image(imageId);
        if (image is null)
        {
            try
            {
                image = await _engine.InspectImageAsync(imageId, ct);
                _cache.PutImage(imageId, image);
            }
            catch (EngineException ex) when (ex.IsNotFound)
            {
                return null;
            }
        }
        return image;
    }

    /// <summary>The minimal compose file that lets Compose v1 (<c>docker-compose -p app -f FILE ps</c>) see the app.</summary>
    private string ComposeFile(string app) => Path.Combine(_options.DataDirectory, "apps", app, "docker-compose.yml");

    private string? HashError(DesiredService service)
    {
        if (!_hashErrors.TryGetValue(service, out var error))
        {
            var actual = ConfigHash.Compute(service.Spec);
            error = actual == service.ConfigHash ? "" : $"config hash mismatch: the console sent {service.ConfigHash} but the spec hashes to {actual}; refusing to apply it";
            _hashErrors.AddOrUpdate(service, error);
        }
        return error.Length == 0 ? null : error;
    }
}

/// <summary>An apply that failed for one service and when it may be tried again.</summary>
internal sealed record ApplyFailure(string Hash, string Target, string Message, int Attempts, DateTimeOffset RetryAt, bool RolledBack);

internal static class ObservedContainerDetails
{
    /// <summary>The engine writes nanoseconds (9 fraction digits); .NET parses at most 7.</summary>
    public static DateTimeOffset? EngineTime(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            var end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
            {
                end++;
            }
            if (end - dot - 1 > 7)
            {
                text = text[..(dot + 8)] + text[end..];
            }
        }
        return DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
    }

    /// <summary>The registry digest an image is known by: the desired one when it is among them, else the first.</summary>
    public static string DigestOf(ImageInspectResponse? image, string? desiredDigest)
    {
        var digests = (image?.RepoDigests ?? []).Select(d => d[(d.IndexOf('@', StringComparison.Ordinal) + 1)..]).ToList();
        return digests.FirstOrDefault(d => d == desiredDigest) ?? digests.FirstOrDefault() ?? "";
    }

    public static ObservedContainer WithDetails(this ObservedContainer basic, CachedContainer entry, ImageInspectResponse? image, DesiredService? desired)
    {
        var state = entry.Inspect.State;
        var digest = DigestOf(image, desired?.Spec.ImageDigest);
        return basic with
        {
            // The inspect reads the container under its lock; the list can lag an event by a moment
            // (a "die" arrives while the list still says running), so the inspect's state wins.
            State = state?.Status is { Length: > 0 } status ? status : basic.State,
            InspectedHealth = state?.Health?.Status ?? "",
            ExitCode = state?.ExitCode ?? 0,
            OomKilled = state?.OOMKilled ?? false,
            EngineRestarts = entry.Inspect.RestartCount,
            StartedAt = state is { Running: true } ? EngineTime(state.StartedAt) : null,
            LiveDrift = desired is not null && entry.DriftForHash == desired.ConfigHash ? entry.Drift.Fields : [],
            LiveValues = desired is not null && entry.DriftForHash == desired.ConfigHash ? entry.Drift.LiveValues : LiveDriftFindings.None.LiveValues,
            ImageDigest = digest,
        };
    }
}
