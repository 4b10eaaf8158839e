using System.Diagnostics;
using System.Diagnostics.Metrics;
using ConOps.Contract;

namespace ConOps.Agent.Observability;

/// <summary>
/// The agent's metrics (meter <c>ConOps.Agent</c>), exported in Prometheus format by the agent's metrics
/// listener, or by the console's <c>/metrics</c> in all-in-one mode. Static so the reconcile loop and the
/// connection record them with one line each.
/// </summary>
public static class AgentMetrics
{
    public const string MeterName = "ConOps.Agent";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> ReconcileDuration = Meter.CreateHistogram<double>(
        "conops.agent.reconcile.duration", "s", "Time to observe, plan and apply one app.");

    private static readonly Counter<long> DriftDetected = Meter.CreateCounter<long>(
        "conops.agent.drift.detected", "{reconcile}", "Reconcile passes that found live containers differing from the desired state outside a deployment.");

    private static readonly Counter<long> DriftHealed = Meter.CreateCounter<long>(
        "conops.agent.drift.healed", "{apply}", "Self-heal applies that undid drift without a failure.");

    private static readonly Counter<long> ServiceApplies = Meter.CreateCounter<long>(
        "conops.agent.service.applies", "{service}", "Per-service apply actions, by action (created, recreated, started, removed, failed, rolled-back).");

    private static readonly Counter<long> LogBytes = Meter.CreateCounter<long>(
        "conops.agent.log.bytes", "By", "Container log bytes streamed to the console.");

    private static int _consoleConnected;

    private static readonly TaskCompletionSource FirstConnected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    static AgentMetrics() =>
        Meter.CreateObservableGauge("conops.agent.console.connected", () => Volatile.Read(ref _consoleConnected), description: "1 while the stream to the console is open.");

    /// <summary>Whether the stream to the console is open now (readiness).</summary>
    public static bool IsConsoleConnected => Volatile.Read(ref _consoleConnected) == 1;

    /// <summary>Times one app's reconcile: <c>using var _ = AgentMetrics.MeasureReconcile();</c>.</summary>
    public static ReconcileTiming MeasureReconcile() => new(Stopwatch.GetTimestamp());

    /// <summary>Records what a reconcile pass saw: drift is a change needed outside a deployment.</summary>
    public static void Observed(bool isDeployment, bool hasChanges)
    {
        if (!isDeployment && hasChanges)
        {
            DriftDetected.Add(1);
        }
    }

    /// <summary>Records an apply's per-service outcomes, and a heal when a self-heal apply fully succeeded.</summary>
    public static void Applied(string trigger, IReadOnlyCollection<ServiceApplyOutcome> outcomes)
    {
        foreach (var outcome in outcomes)
        {
            ServiceApplies.Add(1, new KeyValuePair<string, object?>("action", outcome.RolledBack ? "rolled-back" : ActionName(outcome.Action)));
        }
        if (trigger == "self-heal" && outcomes.Count > 0 && outcomes.All(o => o.Action != ApplyAction.Failed))
        {
            DriftHealed.Add(1);
        }
    }

    public static void LogBytesStreamed(long bytes) => LogBytes.Add(bytes);

    /// <summary>Completes when the stream to the console opens for the first time.</summary>
    public static Task FirstConnection => FirstConnected.Task;

    public static void ConsoleConnected(bool connected)
    {
        Volatile.Write(ref _consoleConnected, connected ? 1 : 0);
        if (connected)
        {
            FirstConnected.TrySetResult();
        }
    }

    private static string ActionName(ApplyAction action) => action switch
    {
        ApplyAction.Created => "created",
        ApplyAction.Recreated => "recreated",
        ApplyAction.Started => "started",
        ApplyAction.Removed => "removed",
        ApplyAction.Failed => "failed",
        _ => "unchanged",
    };

    public readonly struct ReconcileTiming(long started) : IDisposable
    {
        public void Dispose() => ReconcileDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
    }
}
