using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ConOps.Console.Observability;

/// <summary>
/// The console's metrics (meter <c>ConOps.Console</c>), served in Prometheus format on <c>/metrics</c>.
/// Static so the sync pipeline, registry and log code record them with one line each.
/// </summary>
public static class ConsoleMetrics
{
    public const string MeterName = "ConOps.Console";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> SyncOutcomes = Meter.CreateCounter<long>(
        "conops.sync.outcomes", "{sync}", "App syncs by outcome: published (new desired state), unchanged (commit changed no service), failed.");

    /// <summary>
    /// Bucket bounds for histograms in seconds. Without them OpenTelemetry uses its defaults, which are meant
    /// for milliseconds (0 to 10000), and every sub-five-second poll lands in the same bucket.
    /// </summary>
    public static readonly IReadOnlyList<double> SecondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private static readonly Histogram<double> GitPollDuration = Meter.CreateHistogram(
        "conops.git.poll.duration", "s", "Time to ask a repository where its branch points.", tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    private static readonly Counter<long> GitPollFailures = Meter.CreateCounter<long>(
        "conops.git.poll.failures", "{poll}", "Branch checks that failed (unreachable repository, missing branch, bad credentials).");

    private static readonly Counter<long> RegistryLookups = Meter.CreateCounter<long>(
        "conops.registry.lookups", "{lookup}", "Image digest lookups, by result (resolved, failed) and whether the cache answered.");

    private static readonly Counter<long> LogBytes = Meter.CreateCounter<long>(
        "conops.log.bytes", "By", "Container log bytes streamed to browsers and API clients.");

    private static readonly Counter<long> ReleaseOutcomes = Meter.CreateCounter<long>(
        "conops.release.outcomes", "{release}", "Finished releases by outcome (succeeded, failed, rolled-back).");

    public static void SyncPublished() => SyncOutcomes.Add(1, new KeyValuePair<string, object?>("outcome", "published"));

    public static void SyncUnchanged() => SyncOutcomes.Add(1, new KeyValuePair<string, object?>("outcome", "unchanged"));

    public static void SyncFailed() => SyncOutcomes.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));

    /// <summary>Times one branch check; a check that throws or finds no branch counts as failed.</summary>
    public static async Task<string?> TimedGitPoll(Task<string?> poll)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var head = await poll;
            if (head is null)
            {
                GitPollFailures.Add(1);
            }
            return head;
        }
        catch
        {
            GitPollFailures.Add(1);
            throw;
        }
        finally
        {
            GitPollDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    public static void RegistryLookup(bool resolved, bool fromCache) => RegistryLookups.Add(1,
        new KeyValuePair<string, object?>("result", resolved ? "resolved" : "failed"),
        new KeyValuePair<string, object?>("cache", fromCache ? "hit" : "miss"));

    public static void LogBytesStreamed(long bytes) => LogBytes.Add(bytes);

    public static void ReleaseFinished(string outcome) => ReleaseOutcomes.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Gauges read from live state when Prometheus scrapes.</summary>
    internal static void ObserveFleet(Func<int> connectedAgents, Func<int> offlineHosts)
    {
        Meter.CreateObservableGauge("conops.agents.connected", connectedAgents, "{agent}", "Agents with an open stream.");
        Meter.CreateObservableGauge("conops.hosts.offline", offlineHosts, "{host}", "Known hosts whose agent is not connected.");
    }
}
