using System.Diagnostics;
using ConOps.Agent.Observability;
using ConOps.Console.Observability;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace ConOps.Tests.Observability;

/// <summary>
/// The seconds-unit histograms the console exports get bucket bounds in seconds, read back from a real
/// OpenTelemetry meter provider configured as the console configures its own.
/// </summary>
public sealed class HistogramBucketTests
{
    [Fact]
    public async Task Git_poll_duration_is_exported_with_bounds_in_seconds()
    {
        var bounds = await ExportedBoundsAsync("conops.git.poll.duration", () => ConsoleMetrics.TimedGitPoll(Task.FromResult<string?>("0123abc")));

        Assert.Equal([.. ConsoleMetrics.SecondsBuckets, double.PositiveInfinity], bounds);
        Assert.Equal(0.005, bounds[0]);
        Assert.Equal(60, bounds[^2]);
    }

    [Fact]
    public async Task The_in_process_agents_reconcile_duration_gets_the_standalone_agents_buckets()
    {
        var bounds = await ExportedBoundsAsync("conops.agent.reconcile.duration", () =>
        {
            new AgentMetrics.ReconcileTiming(Stopwatch.GetTimestamp()).Dispose();
            return Task.CompletedTask;
        });

        Assert.Equal([.. PrometheusText.Buckets, double.PositiveInfinity], bounds);
    }

    private static async Task<double[]> ExportedBoundsAsync(string instrument, Func<Task> record)
    {
        var exporter = new BoundsExporter();
        using (var provider = Sdk.CreateMeterProviderBuilder().AddConsoleMeters().AddReader(new BaseExportingMetricReader(exporter)).Build())
        {
            await record();
            provider.ForceFlush();
        }
        return Assert.Contains(instrument, (IReadOnlyDictionary<string, double[]>)exporter.Bounds);
    }

    /// <summary>Keeps each histogram's bucket bounds (the batch is only valid while Export runs).</summary>
    private sealed class BoundsExporter : BaseExporter<Metric>
    {
        public Dictionary<string, double[]> Bounds { get; } = new(StringComparer.Ordinal);

        public override ExportResult Export(in Batch<Metric> batch)
        {
            foreach (var metric in batch)
            {
                if (metric.MetricType != MetricType.Histogram)
                {
                    continue;
                }
                foreach (ref readonly var point in metric.GetMetricPoints())
                {
                    var bounds = new List<double>();
                    foreach (var bucket in point.GetHistogramBuckets())
                    {
                        bounds.Add(bucket.ExplicitBound);
                    }
                    Bounds[metric.Name] = [.. bounds];
                }
            }
            return ExportResult.Success;
        }
    }
}
