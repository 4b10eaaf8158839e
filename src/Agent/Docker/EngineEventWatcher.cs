using ConOps.Agent.Reconcile;
using ConOps.Shared;

namespace ConOps.Agent.Docker;

/// <summary>
/// Self-heal trigger: listens to the engine's event stream for managed containers that stop, die, vanish or
/// are changed, drops their cached inspect and enqueues a reconcile of their app at once instead of waiting
/// for the periodic pass. Reconnects (with backoff) when the engine restarts.
/// </summary>
public sealed partial class EngineEventWatcher(EngineClient engine, Reconciler reconciler, InspectCache cache, TimeProvider time, ILogger<EngineEventWatcher> log) : BackgroundService
{
    // Every event that changes what an inspect would say, or that means the container may need healing.
    private static readonly string[] Triggers = ["die", "stop", "kill", "destroy", "oom", "update", "health_status", "rename", "start", "pause", "unpause", "restart"];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Anything may have happened while we were not listening (the engine may even have restarted).
                cache.Clear();
                reconciler.Enqueue(CoalescingQueue.AllApps);
                await engine.MonitorEventsAsync([ManagedLabels.ManagedFilter], Triggers, OnEvent, stoppingToken);
                delay = TimeSpan.FromSeconds(1);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogEventsLost(ex.Message, delay.TotalSeconds);
                await Task.Delay(delay, time, stoppingToken);
                delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 30));
            }
        }
    }

    private void OnEvent(EventMessage message)
    {
        if (message.Actor?.Id is { Length: > 0 } id)
        {
            cache.Invalidate(id);
        }
        var attributes = message.Actor?.Attributes;
        if (attributes is not null && attributes.TryGetValue(ManagedLabels.App, out var app) && !string.IsNullOrEmpty(app))
        {
            LogEvent(message.Action ?? "", app, attributes.TryGetValue(ManagedLabels.Service, out var service) ? service : "");
            reconciler.Enqueue(app);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Engine event {Action} for app {App} service {Service}")]
    private partial void LogEvent(string action, string app, string service);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the engine's event stream ({Error}); retrying in {Seconds} s")]
    private partial void LogEventsLost(string error, double seconds);
}
