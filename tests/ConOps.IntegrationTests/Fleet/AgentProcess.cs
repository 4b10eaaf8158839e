using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using ConOps.IntegrationTests.Support;

namespace ConOps.IntegrationTests.Fleet;

/// <summary>
/// A real agent: the src/Agent build output (conops-agent.dll) as its own process, configured only through
/// ConOps__Agent__* environment variables, as the install script does. Restartable with the same data directory.
/// </summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private readonly Dictionary<string, string> _environment;
    private readonly ConcurrentQueue<string> _log = new();
    private Process? _process;

    public AgentProcess(string dockerEndpoint, IReadOnlyDictionary<string, string> joinEnvironment, string? dataDirectory = null)
    {
        DataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "conops-agent-" + Guid.NewGuid().ToString("N")[..8]);
        _environment = new Dictionary<string, string>(joinEnvironment, StringComparer.Ordinal)
        {
            ["ConOps__Agent__DataDirectory"] = DataDirectory,
            ["ConOps__Agent__DockerEndpoint"] = dockerEndpoint,
            ["ConOps__Agent__ReconcileInterval"] = "00:00:05",
            ["ConOps__Agent__StopTimeout"] = "00:00:01",
        };
    }

    /// <summary>Builds an agent from the join instructions the console returned (its <c>environment</c> object).</summary>
    public static AgentProcess FromJoin(string dockerEndpoint, JsonElement join) =>
        new(dockerEndpoint, join.GetProperty("environment").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!));

    public string DataDirectory { get; }

    public string Log => string.Join('\n', _log);

    public bool Running => _process is { HasExited: false };

    public void Start()
    {
        var dll = Path.Combine(TestEnvironment.RepoRoot, "src", "Agent", "bin", BuildConfiguration, "net10.0", "conops-agent.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"The agent is not built at {dll}; run `dotnet build` first.");
        }
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }
        _log.Enqueue("---- agent start ----");
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { _log.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _log.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    /// <summary>Stops the agent the hard way, as a crash or power loss would.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        _process?.Dispose();
        _process = null;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }

#if DEBUG
    private const string BuildConfiguration = "Debug";
#else
    private const string BuildConfiguration = "Release";
#endif
}
