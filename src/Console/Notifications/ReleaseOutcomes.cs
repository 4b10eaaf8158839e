using System.Collections.Concurrent;
using ConOps.Console.Observability;
using ConOps.Contract;

namespace ConOps.Console.Notifications;

/// <summary>How the latest release of an app on a host ended.</summary>
public sealed record ReleaseOutcome(string App, string Host, string Revision, string Outcome, IReadOnlyList<(string Service, string Error)> Failed, IReadOnlyList<(string Service, string Error)> RolledBack);

/// <summary>
/// The latest release outcome per app and host, as the release log records them, with a change signal for
/// the incident monitor. Known only for releases finished since the console started.
/// </summary>
public sealed class ReleaseOutcomes
{
    private readonly ConcurrentDictionary<(string App, string Host), ReleaseOutcome> _latest = new();

    public event Action? Changed;

    public IReadOnlyCollection<ReleaseOutcome> Latest => [.. _latest.Values];

    public bool Knows(string app, string host) => _latest.ContainsKey((app, host));

    public void Finished(string host, ApplyResult result, string outcome)
    {
        var rolledBack = result.Services.Where(s => s.RolledBack).Select(s => (s.Service, s.Error)).ToList();
        var failed = result.Services.Where(s => s.Action == ApplyAction.Failed).Select(s => (s.Service, s.Error)).ToList();
        _latest[(result.App, host)] = new ReleaseOutcome(result.App, host, result.Revision, outcome, failed, rolledBack);
        ConsoleMetrics.ReleaseFinished(rolledBack.Count > 0 ? "rolled-back" : outcome);
        Changed?.Invoke();
    }
}
