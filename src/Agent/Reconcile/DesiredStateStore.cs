using ConOps.Contract;
using Google.Protobuf;
using Microsoft.Extensions.Options;

namespace ConOps.Agent.Reconcile;

/// <summary>
/// The last desired state the console sent, kept on disk so the agent keeps enforcing it while the console
/// is away and after the agent itself restarts. Apps that leave the desired state are remembered with their
/// last policy (on disk too), so their containers can be pruned or reported as orphans as that policy says.
/// </summary>
public sealed class DesiredStateStore
{
    private readonly string _path;
    private readonly string _removedPath;
    private DesiredState _removed;
    private readonly ILogger<DesiredStateStore> _log;
    private readonly Lock _gate = new();
    private DesiredState _current;

    public DesiredStateStore(IOptions<AgentOptions> options, ILogger<DesiredStateStore> log)
    {
        _log = log;
        Directory.CreateDirectory(options.Value.DataDirectory);
        _path = Path.Combine(options.Value.DataDirectory, "desired-state.pb");
        _removedPath = Path.Combine(options.Value.DataDirectory, "removed-apps.pb");
        _current = Load(_path);
        _removed = File.Exists(_removedPath) ? Load(_removedPath) : new DesiredState();
    }

    public DesiredState Current
    {
        get { lock (_gate) { return _current; } }
    }

    /// <summary>Stores a newer generation. Returns false (and keeps the current one) for an older generation.</summary>
    public bool TryReplace(DesiredState next)
    {
        lock (_gate)
        {
            if (next.Generation < _current.Generation)
            {
                _log.LogWarning("Ignoring desired state generation {Next}: already have {Current}", next.Generation, _current.Generation);
                return false;
            }
            var stillDesired = next.Apps.Select(a => a.App).ToHashSet(StringComparer.Ordinal);
            var removed = new DesiredState();
            removed.Apps.AddRange(_removed.Apps.Where(a => !stillDesired.Contains(a.App) && _current.Apps.All(c => c.App != a.App)));
            removed.Apps.AddRange(_current.Apps.Where(a => !stillDesired.Contains(a.App))
                .Select(a => new AppDesiredState { App = a.App, Revision = a.Revision, Policy = a.Policy?.Clone() ?? new SyncPolicy() }));
            Save(_path, next);
            if (!removed.Equals(_removed))
            {
                Save(_removedPath, removed);
                _removed = removed;
            }
            _current = next;
            return true;
        }
    }

    /// <summary>The last policy of an app that left the desired state; null when the agent never saw it desired.</summary>
    public SyncPolicy? RemovedPolicy(string app)
    {
        lock (_gate)
        {
            return _removed.Apps.FirstOrDefault(a => a.App == app)?.Policy;
        }
    }

    /// <summary>The apps that left the desired state and are still remembered.</summary>
    public IReadOnlyList<string> RemovedApps()
    {
        lock (_gate)
        {
            return [.. _removed.Apps.Select(a => a.App)];
        }
    }

    /// <summary>Forgets a removed app once nothing of it is left on the host.</summary>
    public void ForgetRemoved(string app)
    {
        lock (_gate)
        {
            if (_removed.Apps.Any(a => a.App == app))
            {
                var removed = _removed.Clone();
                removed.Apps.Remove(removed.Apps.First(a => a.App == app));
                Save(_removedPath, removed);
                _removed = removed;
            }
        }
    }

    private static void Save(string path, DesiredState state)
    {
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, state.ToByteArray());
        File.Move(temp, path, overwrite: true);
    }

    private DesiredState Load(string path)
    {
        if (!File.Exists(path))
        {
            return new DesiredState();
        }
        try
        {
            var state = DesiredState.Parser.ParseFrom(File.ReadAllBytes(path));
            _log.LogInformation("Loaded desired state generation {Generation} with {Apps} app(s) from {Path}", state.Generation, state.Apps.Count, path);
            return state;
        }
        catch (InvalidProtocolBufferException ex)
        {
            _log.LogError(ex, "Desired state file {Path} is unreadable; starting empty until the console sends a new one", path);
            return new DesiredState();
        }
    }
}
