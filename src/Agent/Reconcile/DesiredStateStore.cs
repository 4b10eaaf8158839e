using ConOps.Contract;
using Google.Protobuf;
using Microsoft.Extensions.Options;

namespace ConOps.Agent.Reconcile;

/// <summary>
/// The last desired state the console sent, kept on disk so the agent keeps enforcing it while the console
/// is away and after the agent itself restarts.
/// </summary>
public sealed class DesiredStateStore
{
    private readonly string _path;
    private readonly ILogger<DesiredStateStore> _log;
    private readonly Lock _gate = new();
    private DesiredState _current;

    public DesiredStateStore(IOptions<AgentOptions> options, ILogger<DesiredStateStore> log)
    {
        _log = log;
        Directory.CreateDirectory(options.Value.DataDirectory);
        _path = Path.Combine(options.Value.DataDirectory, "desired-state.pb");
        _current = Load();
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
            var temp = _path + ".tmp";
            File.WriteAllBytes(temp, next.ToByteArray());
            File.Move(temp, _path, overwrite: true);
            _current = next;
            return true;
        }
    }

    private DesiredState Load()
    {
        if (!File.Exists(_path))
        {
            return new DesiredState();
        }
        try
        {
            var state = DesiredState.Parser.ParseFrom(File.ReadAllBytes(_path));
            _log.LogInformation("Loaded desired state generation {Generation} with {Apps} app(s) from {Path}", state.Generation, state.Apps.Count, _path);
            return state;
        }
        catch (InvalidProtocolBufferException ex)
        {
            _log.LogError(ex, "Desired state file {Path} is unreadable; starting empty until the console sends a new one", _path);
            return new DesiredState();
        }
    }
}
