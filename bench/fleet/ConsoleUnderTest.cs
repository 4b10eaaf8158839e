using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ConOps.Bench.Fleet;

/// <summary>The real console as its own process (Release build), with CPU and RSS read from /proc.</summary>
public sealed class ConsoleUnderTest : IAsyncDisposable
{
    private readonly Process _process;

    private ConsoleUnderTest(Process process, string dataDirectory, int uiPort, int agentPort)
    {
        _process = process;
        DataDirectory = dataDirectory;
        UiUrl = $"http://127.0.0.1:{uiPort}";
        AgentUrl = $"https://127.0.0.1:{agentPort}";
    }

    /// <summary>The admin API token the console is started with (the bench acts as an admin automation).</summary>
    public static string AdminToken { get; } = "bench-" + Guid.NewGuid().ToString("N");

    public string DataDirectory { get; }

    public string UiUrl { get; }

    public string AgentUrl { get; }

    public static async Task<ConsoleUnderTest> StartAsync(string repoRoot)
    {
        var dll = Path.Combine(repoRoot, "src", "Console", "bin", "Release", "net10.0", "conops-console.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"No Release build of the console at {dll}: run `dotnet build -c Release bench/fleet` first.");
        }
        var dataDirectory = Path.Combine(Path.GetTempPath(), "conops-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var (ui, agents) = (FreePort(), FreePort());
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)!, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        start.Environment["ConOps__Console__UiUrl"] = $"http://127.0.0.1:{ui}";
        start.Environment["ConOps__Console__AgentUrl"] = $"https://127.0.0.1:{agents}";
        start.Environment["ConOps__Console__DataDirectory"] = dataDirectory;
        start.Environment["ConOps__Auth__BootstrapToken"] = AdminToken;
        // 500 agents enroll from one address in the bench: allow it.
        start.Environment["ConOps__Fleet__FailureLimit"] = "100000";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line && (line.Contains("fail:", StringComparison.Ordinal) || line.Contains("crit:", StringComparison.Ordinal))) { System.Console.Error.WriteLine("[console] " + line); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { System.Console.Error.WriteLine("[console] " + e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var console = new ConsoleUnderTest(process, dataDirectory, ui, agents);
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminToken);
        for (var i = 0; i < 150; i++)
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
        throw new TimeoutException("The console did not start within 30 s.");
    }

    /// <summary>User plus system CPU time the console has used so far.</summary>
    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields 14 and 15 (utime, stime) in clock ticks; after the ")" the list starts at field 3.
        var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
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
