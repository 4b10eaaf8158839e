using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace ConOps.IntegrationTests.Support;

/// <summary>
/// The real console, started as its own process from the build output, on free loopback ports, with its
/// own data directory. Logs are kept and printed when a test fails.
/// </summary>
public sealed class ConsoleProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    private ConsoleProcess(Process process, string dataDirectory, int uiPort, int agentPort, string adminToken)
    {
        _process = process;
        DataDirectory = dataDirectory;
        UiPort = uiPort;
        AgentPort = agentPort;
        AdminToken = adminToken;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{uiPort}"), Timeout = TimeSpan.FromSeconds(10) };
        Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", adminToken);
    }

    /// <summary>A client authenticated with the admin API token (ConOps:Auth:BootstrapToken).</summary>
    public HttpClient Http { get; }

    /// <summary>The admin API token the console was started with.</summary>
    public string AdminToken { get; }

    public string BaseUrl => $"http://127.0.0.1:{UiPort}";

    public string DataDirectory { get; }

    public int UiPort { get; }

    public int AgentPort { get; }

    public string Log => string.Join('\n', _log);

    /// <summary>Starts the console; <paramref name="settings"/> are configuration keys such as <c>ConOps:Console:PollInterval</c>.</summary>
    public static async Task<ConsoleProcess> StartAsync(IDictionary<string, string>? settings = null, string? dataDirectory = null, int? uiPort = null, int? agentPort = null)
    {
        var dll = Path.Combine(TestEnvironment.RepoRoot, "src", "Console", "bin", BuildConfiguration, "net10.0", "conops-console.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"The console is not built at {dll}; run `dotnet build` first.");
        }
        dataDirectory ??= Path.Combine(Path.GetTempPath(), "conops-console-" + Guid.NewGuid().ToString("N")[..8]);
        var ui = uiPort ?? FreePort();
        var agents = agentPort ?? FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.Combine(TestEnvironment.RepoRoot, "src", "Console"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(dll);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["ConOps__Console__UiUrl"] = $"http://127.0.0.1:{ui}";
        start.Environment["ConOps__Console__AgentUrl"] = $"https://127.0.0.1:{agents}";
        start.Environment["ConOps__Console__DataDirectory"] = dataDirectory;
        start.Environment["ConOps__LocalAgent__DockerEndpoint"] = TestEnvironment.DockerHost;
        // Automation signs in with an admin API token given through configuration (stored hashed).
        var adminToken = settings?.TryGetValue("ConOps:Auth:BootstrapToken", out var given) == true ? given : "test-" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
        start.Environment["ConOps__Auth__BootstrapToken"] = adminToken;
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(start)!;
        var console = new ConsoleProcess(process, dataDirectory, ui, agents, adminToken);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { console._log.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { console._log.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The console exited with code {process.ExitCode} during start:\n{console.Log}");
            }
            try
            {
                using var response = await console.Http.GetAsync("/api/hosts");
                if (response.IsSuccessStatusCode)
                {
                    return console;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        await console.DisposeAsync();
        throw new TimeoutException($"The console did not answer within 30 s:\n{console.Log}");
    }

    public async Task<JsonElement> GetJsonAsync(string path) =>
        await Http.GetFromJsonAsync<JsonElement>(path);

    /// <summary>The API's row for one service, or null while it has none.</summary>
    public async Task<JsonElement?> ServiceAsync(string app, string service, string host = "local")
    {
        foreach (var row in (await GetJsonAsync("/api/services")).EnumerateArray())
        {
            if (row.GetProperty("app").GetString() == app && row.GetProperty("name").GetString() == service && row.GetProperty("host").GetString() == host)
            {
                return row;
            }
        }
        return null;
    }

    /// <summary>Stops the process the hard way (as a crash or SIGKILL would).</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

#if DEBUG
    private const string BuildConfiguration = "Debug";
#else
    private const string BuildConfiguration = "Release";
#endif
}
