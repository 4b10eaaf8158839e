using System.Threading.Channels;

namespace ConOps.Shared;

/// <summary>
/// A work queue whose keys coalesce: a key already waiting is not queued again (a force request upgrades
/// it), so a burst of triggers for one app becomes one run, and with a single reader the same key never
/// runs twice at once. Used by the console's sync loop and the agent's reconcile loop.
/// </summary>
public sealed class CoalescingQueue
{
    /// <summary>The key that means "every app".</summary>
    public const string AllApps = "*";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, bool> _pending = new(StringComparer.Ordinal);
    private readonly Channel<string> _order = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    public void Enqueue(string key, bool force = false)
    {
        lock (_gate)
        {
            if (_pending.TryGetValue(key, out var pendingForce))
            {
                _pending[key] = pendingForce || force;
                return;
            }
            _pending[key] = force;
            _order.Writer.TryWrite(key);
        }
    }

    public async ValueTask<(string Key, bool Force)> DequeueAsync(CancellationToken cancellationToken)
    {
        var key = await _order.Reader.ReadAsync(cancellationToken);
        lock (_gate)
        {
            _pending.Remove(key, out var force);
            return (key, force);
        }
    }
}
