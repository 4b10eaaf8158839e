using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ConOps.Bench.Ui;

/// <summary>The real console as its own process (Release build), signed in for automation with a bootstrap API token.</summary>
public sealed class ConsoleUnderTest : IAsyncDisposable
{
    private readonly Process _process;

    private ConsoleUnderTest(Process process, string dataDirectory, int uiPort, int agentPort, string adminToken)
    {
        _process = process;
        DataDirectory = dataDirectory;
        UiUrl = $"http://127.0.0.1:{uiPort}";
        AgentUrl = $"https://127.0.0.1:{agentPort}";
        AdminToken = adminToken;
    }

    public string DataDirectory { get; }

    public string UiUrl { get; }

    public string AgentUrl { get; }

    public string AdminToken { get; }

    public static async Task<ConsoleUnderTest> StartAsync(string repoRoot)
    {
        var dll = Path.Combine(repoRoot, "src", "Console", "bin", "Release", "net10.0", "conops-console.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"No Release build of the console at {dll}: run `dotnet build -c Release bench/ui` first.");
        }
        var dataDirectory = Path.Combine(Path.GetTempPath(), "conops-uibench-" + Guid.NewGuid().ToString("N")[..8]);
        var (ui, agents) = (FreePort(), FreePort());
        var token = "bench-" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)!, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        start.Environment["ConOps__Console__UiUrl"] = $"http://127.0.0.1:{ui}";
        start.Environment["ConOps__Console__AgentUrl"] = $"https://127.0.0.1:{agents}";
        start.Environment["ConOps__Console__DataDirectory"] = dataDirectory;
        start.Environment["ConOps__Auth__BootstrapToken"] = token;
        // Hundreds of agents enroll from one address in the bench: allow it.
        start.Environment["ConOps__Fleet__FailureLimit"] = "100000";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line && (line.Contains("fail:", StringComparison.Ordinal) || line.Contains("crit:", StringComparison.Ordinal))) { System.Console.Error.WriteLine("[console] " + line); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { System.Console.Error.WriteLine("[console] " + e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var console = new ConsoleUnderTest(process, dataDirectory, ui, agents, token);
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        for (var i = 0; i < 450; i++)
        {
            try
            {
                if ((await http.GetAsync(console.UiUrl + "/api/hosts")).IsSuccessStatusCode)
                {
                    return console;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        throw new TimeoutException("The console did not start within 90 s.");
    }

    /// <summary>Resident set size in MB.</summary>
    public double RssMegabytes()
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
