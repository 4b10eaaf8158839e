namespace ConOps.Console.Notifications;

/// <summary>What changed in one evaluation: incidents to open (and announce) and to resolve (and announce).</summary>
public sealed record IncidentChanges(IReadOnlyList<Condition> Opened, IReadOnlyList<(Condition Condition, DateTimeOffset OpenedAt)> Resolved);

/// <summary>
/// Turns the stream of observed conditions into incidents, without I/O. A condition must be seen
/// continuously for the confirmation delay before its incident opens (so a restart or a blip is not a
/// page); an open incident resolves when its condition is gone, but only where the current state is
/// actually known (the isKnown argument of <see cref="Evaluate"/>): a host that has not reported since
/// a restart does not count as healed.
/// </summary>
public sealed class IncidentTracker(TimeSpan confirmAfter)
{
    private readonly Dictionary<string, (Condition Condition, DateTimeOffset FirstSeen)> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (Condition Condition, DateTimeOffset OpenedAt)> _open = new(StringComparer.Ordinal);

    public IReadOnlyCollection<Condition> Open => [.. _open.Values.Select(v => v.Condition)];

    /// <summary>Restores an incident that was open before a restart (it is not announced again).</summary>
    public void Restore(Condition condition, DateTimeOffset openedAt) => _open[condition.Key] = (condition, openedAt);

    /// <summary>Compares what is seen now with the open incidents.</summary>
    public IncidentChanges Evaluate(IReadOnlyCollection<Condition> seen, Func<Condition, bool> isKnown, DateTimeOffset now)
    {
        var seenByKey = new Dictionary<string, Condition>(StringComparer.Ordinal);
        foreach (var condition in seen)
        {
            seenByKey.TryAdd(condition.Key, condition);
        }

        foreach (var key in _pending.Keys.Where(k => !seenByKey.ContainsKey(k)).ToList())
        {
            _pending.Remove(key);
        }

        var opened = new List<Condition>();
        foreach (var (key, condition) in seenByKey)
        {
            if (_open.ContainsKey(key))
            {
                continue;
            }
            if (!_pending.TryGetValue(key, out var pending))
            {
                pending = (condition, now);
                _pending[key] = pending;
            }
            if (now - pending.FirstSeen >= confirmAfter)
            {
                _pending.Remove(key);
                _open[key] = (condition, now);
                opened.Add(condition);
            }
        }

        var resolved = new List<(Condition, DateTimeOffset)>();
        foreach (var (key, open) in _open.Where(o => !seenByKey.ContainsKey(o.Key) && isKnown(o.Value.Condition)).ToList())
        {
            _open.Remove(key);
            resolved.Add((open.Condition, open.OpenedAt));
        }
        return new IncidentChanges(opened, resolved);
    }

    /// <summary>When the next pending condition would be confirmed, so the caller can evaluate again then.</summary>
    public DateTimeOffset? NextConfirmation => _pending.Count == 0 ? null : _pending.Values.Min(p => p.FirstSeen) + confirmAfter;
}
