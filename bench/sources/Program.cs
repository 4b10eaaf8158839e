// Two measurements of the console's sources side on real parts (the shared test environment must be up:
// `. .conops/testenv.env`):
//
//   dotnet run -c Release --project bench/sources -- webhook [RUNS]   commit -> webhook -> converged, one service of 20
//   dotnet run -c Release --project bench/sources -- poll [REPOS] [SECONDS]   console CPU while polling REPOS git-daemon repositories every 30 s
//
// "webhook" compares with the doco-cd/Portainer way in the same run: `git pull` in a work tree, then
// `docker-compose up -d` (1.29) on the same 20-service file. "poll" compares with running `git ls-remote` for
// every repository (what a shell-script poller does) over the same repositories.
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

var mode = args.Length > 0 ? args[0] : "webhook";
var repoRoot = FindRepoRoot();
var env = LoadTestEnv(repoRoot);
return mode switch
{
    "webhook" => await WebhookAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5),
    "poll" => await PollAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200, args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 120),
    _ => throw new ArgumentException("mode is webhook or poll"),
};

async Task<int> WebhookAsync(int runs)
{
    const int services = 20;
    const string secret = "bench-webhook-secret";
    var app = "bench-wh-" + Guid.NewGuid().ToString("N")[..6];
    var repo = Temp("conops-bench-repo");
    Git(repo, "init", "-q", "-b", "main");
    Git(repo, "config", "user.email", "bench@example.com");
    Git(repo, "config", "user.name", "Bench");
    File.WriteAllText(Path.Combine(repo, "compose.yaml"), ComposeFile(services, changed: -1, round: 0));
    Git(repo, "add", ".");
    Git(repo, "commit", "-q", "-m", "20 services");

    var console = await ConsoleRun.StartAsync(repoRoot, env, new()
    {
        ["ConOps__Console__PollInterval"] = "00:10:00",
        ["ConOps__LocalAgent__Enabled"] = "true",
        ["ConOps__Sources__WebhookSecret"] = secret,
        ["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff ",
        ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
    });
    var results = new List<(double Converged, double ContainerStart, double Published, double Running)>();
    try
    {
        (await console.Http.PostAsJsonAsync("/api/apps", new { name = app, repoUrl = repo, hosts = LocalHost })).EnsureSuccessStatusCode();
        await WaitAsync(async () => (await SyncedAsync(console, app)).Count == services, TimeSpan.FromMinutes(3), "20 services synced");

        for (var round = 1; round <= runs; round++)
        {
            var before = await SyncedAsync(console, app);
            File.WriteAllText(Path.Combine(repo, "compose.yaml"), ComposeFile(services, changed: 7, round));
            Git(repo, "commit", "-q", "-am", $"change s07 ({round})");
            var clock = Stopwatch.StartNew();
            var body = JsonSerializer.SerializeToUtf8Bytes(new { @ref = "refs/heads/main", repository = new { clone_url = repo } });
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/github") { Content = new ByteArrayContent(body) };
            request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body)));
            (await console.Http.SendAsync(request)).EnsureSuccessStatusCode();
            // The console's part ends when the new desired hash is out to the agent (s07 turns OutOfSync).
            await WaitAsync(async () => !(await SyncedAsync(console, app)).ContainsKey("s07"), TimeSpan.FromSeconds(30), "s07 out of sync");
            var published = clock.Elapsed.TotalSeconds;
            // The agent reports Synced (health Progressing) as soon as the new container runs.
            await WaitAsync(async () => (await SyncedAsync(console, app, healthyOnly: false)).TryGetValue("s07", out var hash) && hash != before["s07"], TimeSpan.FromMinutes(1), "s07 running the new hash");
            var running = clock.Elapsed.TotalSeconds;
            await WaitAsync(async () =>
            {
                var now = await SyncedAsync(console, app);
                return now.Count == services && now["s07"] != before["s07"] && now.Where(s => s.Key != "s07").All(s => before[s.Key] == s.Value);
            }, TimeSpan.FromMinutes(1), "s07 recreated and synced");
            var converged = clock.Elapsed.TotalSeconds;
            var start = await ContainerStartSecondsAsync(app, "s07", (await SyncedAsync(console, app))["s07"]);
            results.Add((converged, start, published, running));
            // The agent stops and removes the old container after reporting the new one healthy; let it finish
            // before the next round, or that round would wait for it.
            await WaitAsync(() => Task.FromResult(Run("docker", $"ps -aq --filter label=conops.app={app} --filter label=com.docker.compose.service=s07", Path.GetTempPath(), env).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 1), TimeSpan.FromSeconds(30), "old s07 container removed");
            Console.Error.WriteLine($"round {round}: published in {published:F2} s, new container running and synced in {running:F2} s, converged in {converged:F2} s (container create->running {start:F2} s)");
        }
    }
    finally
    {
        // Stop the console (and its agent) first, or self-heal recreates what is being removed.
        await console.DisposeAsync();
        await RemoveAppContainersAsync(app);
    }

    // The same change the doco-cd way, in the same run: git pull + docker-compose up -d.
    var work = Temp("conops-bench-work");
    Git(Path.GetTempPath(), "clone", "-q", repo, work);
    var project = "bench-dc-" + Guid.NewGuid().ToString("N")[..6];
    var peer = new List<double>();
    try
    {
        Run("docker-compose", $"-p {project} up -d", work, env);
        for (var round = runs + 1; round <= runs * 2; round++)
        {
            File.WriteAllText(Path.Combine(repo, "compose.yaml"), ComposeFile(services, changed: 7, round));
            Git(repo, "commit", "-q", "-am", $"change s07 ({round})");
            var clock = Stopwatch.StartNew();
            Git(work, "pull", "-q", "--ff-only");
            Run("docker-compose", $"-p {project} up -d", work, env);
            peer.Add(clock.Elapsed.TotalSeconds);
        }
    }
    finally
    {
        Run("docker-compose", $"-p {project} down -t 1", work, env);
        Directory.Delete(work, recursive: true);
        Directory.Delete(repo, recursive: true);
    }

    var median = Median(results.Select(r => r.Converged));
    var peerMedian = Median(peer);
    Console.WriteLine("| what | median | max |");
    Console.WriteLine("| --- | ---: | ---: |");
    Console.WriteLine($"| ConOps: commit -> signed webhook -> s07 recreated, all 20 synced ({runs} runs) | {median:F2} s | {results.Max(r => r.Converged):F2} s |");
    Console.WriteLine($"| of which console: webhook received -> new desired state out to the agent (s07 OutOfSync) | {Median(results.Select(r => r.Published)):F2} s | {results.Max(r => r.Published):F2} s |");
    Console.WriteLine($"| commit -> s07 synced on its new container (health Progressing, stabilization window still running) | {Median(results.Select(r => r.Running)):F2} s | {results.Max(r => r.Running):F2} s |");
    Console.WriteLine($"| of which the container's own create->running | {Median(results.Select(r => r.ContainerStart)):F2} s | {results.Max(r => r.ContainerStart):F2} s |");
    Console.WriteLine($"| peer way: `git pull` + `docker-compose up -d` 1.29 ({runs} runs) | {peerMedian:F2} s | {peer.Max():F2} s |");
    Console.WriteLine();
    Console.WriteLine($"Ratio peer / ConOps: {peerMedian / median:F1}x");
    return 0;
}

async Task<int> PollAsync(int repos, int seconds)
{
    var gitRoot = env["CONOPS_TEST_GIT_ROOT"];
    var daemon = env["CONOPS_TEST_GIT_DAEMON"];
    var prefix = "bench-poll-" + Guid.NewGuid().ToString("N")[..6];
    var seed = Temp("conops-bench-seed");
    Git(seed, "init", "-q", "-b", "main");
    Git(seed, "config", "user.email", "bench@example.com");
    Git(seed, "config", "user.name", "Bench");
    File.WriteAllText(Path.Combine(seed, "compose.yaml"), "services:\n  app:\n    image: conops-test/busybox:1\n    command: [\"sleep\", \"3600\"]\n");
    Git(seed, "add", ".");
    Git(seed, "commit", "-q", "-m", "seed");
    var urls = new List<string>();
    for (var i = 0; i < repos; i++)
    {
        var bare = Path.Combine(gitRoot, $"{prefix}-{i:D3}.git");
        Git(seed, "clone", "-q", "--bare", seed, bare);
        urls.Add($"{daemon}/{prefix}-{i:D3}.git");
    }
    try
    {
        await using var console = await ConsoleRun.StartAsync(repoRoot, env, new()
        {
            ["ConOps__Console__PollInterval"] = "00:00:30",
            ["ConOps__LocalAgent__Enabled"] = "false",
            ["Logging__LogLevel__Default"] = "Warning",
        });
        for (var i = 0; i < repos; i++)
        {
            // Targets a host without an agent: this measures the console's polling, not container churn.
            (await console.Http.PostAsJsonAsync("/api/apps", new { name = $"{prefix}-{i:D3}", repoUrl = urls[i], hosts = NowhereHost })).EnsureSuccessStatusCode();
        }
        // Let the first full sync of every app finish, then measure steady-state polling.
        await WaitAsync(async () =>
        {
            var apps = await console.Http.GetFromJsonAsync<JsonElement>("/api/apps");
            return apps.EnumerateArray().Count(a => a.GetProperty("commit").ValueKind == JsonValueKind.String) == repos;
        }, TimeSpan.FromMinutes(5), "every app's first sync");
        await Task.Delay(TimeSpan.FromSeconds(5));
        var cpuBefore = console.CpuSeconds();
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var cpu = console.CpuSeconds() - cpuBefore;
        var wall = clock.Elapsed.TotalSeconds;
        var rss = console.RssMegabytes();

        // The same listing with the git CLI, one process per repository, once (one poll round).
        var cli = Stopwatch.StartNew();
        var cliCpuBefore = ChildrenCpuSeconds();
        foreach (var url in urls)
        {
            Run("git", $"ls-remote {url} refs/heads/main", Path.GetTempPath(), env);
        }
        var cliCpu = ChildrenCpuSeconds() - cliCpuBefore;
        var cliWall = cli.Elapsed.TotalSeconds;
        var rounds = wall / 30.0;
        Console.WriteLine("| what | CPU per 30 s round | share of one core | share of the machine (2 cores) |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        Console.WriteLine($"| ConOps console, {repos} repositories via git daemon, {seconds} s measured | {cpu / rounds:F2} s | {100 * cpu / wall:F2} % | {50 * cpu / wall:F2} % |");
        Console.WriteLine($"| `git ls-remote` per repository (shell poller), one round, {cliWall:F1} s wall | {cliCpu:F2} s | {100 * cliCpu / 30:F2} % | {50 * cliCpu / 30:F2} % |");
        Console.WriteLine();
        Console.WriteLine($"Ratio git CLI / ConOps CPU per round: {cliCpu / (cpu / rounds):F1}x. Console RSS at the end: {rss:F0} MB.");
    }
    finally
    {
        foreach (var i in Enumerable.Range(0, repos))
        {
            Directory.Delete(Path.Combine(gitRoot, $"{prefix}-{i:D3}.git"), recursive: true);
        }
        Directory.Delete(seed, recursive: true);
    }
    return 0;
}

static string ComposeFile(int services, int changed, int round)
{
    var text = new StringBuilder("services:\n");
    for (var i = 0; i < services; i++)
    {
        text.Append(CultureInfo.InvariantCulture, $"  s{i:D2}:\n    image: conops-test/busybox:1\n    command: [\"sleep\", \"3600\"]\n    stop_grace_period: 1s\n");
        text.Append(CultureInfo.InvariantCulture, $"    environment:\n      ROUND: \"{(i == changed ? round : 0)}\"\n");
    }
    return text.ToString();
}

static async Task<Dictionary<string, string>> SyncedAsync(ConsoleRun console, string app, bool healthyOnly = true)
{
    var rows = await console.Http.GetFromJsonAsync<JsonElement>("/api/services");
    var result = new Dictionary<string, string>(StringComparer.Ordinal);
    foreach (var row in rows.EnumerateArray())
    {
        if (row.GetProperty("app").GetString() == app && row.GetProperty("status").GetString() == "synced" && (!healthyOnly || row.GetProperty("health").GetString() == "Healthy"))
        {
            result[row.GetProperty("name").GetString()!] = row.GetProperty("configHash").GetString()!;
        }
    }
    return result;
}

async Task<double> ContainerStartSecondsAsync(string app, string service, string configHash)
{
    // The old container may still be stopping when the new one is reported healthy: pick the new one by its hash.
    var id = Run("docker", $"ps -q --filter label=conops.app={app} --filter label=com.docker.compose.service={service} --filter label=conops.config-hash={configHash}", Path.GetTempPath(), env).Output.Trim();
    var times = Run("docker", $"inspect -f {{{{.Created}}}}|{{{{.State.StartedAt}}}} {id}", Path.GetTempPath(), env).Output.Trim().Split('|');
    await Task.CompletedTask;
    return (DateTimeOffset.Parse(times[1], CultureInfo.InvariantCulture) - DateTimeOffset.Parse(times[0], CultureInfo.InvariantCulture)).TotalSeconds;
}

async Task RemoveAppContainersAsync(string app)
{
    var ids = Run("docker", $"ps -aq --filter label=conops.app={app}", Path.GetTempPath(), env).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    if (ids.Length > 0)
    {
        Run("docker", "rm -f " + string.Join(' ', ids), Path.GetTempPath(), env);
    }
    foreach (var network in Run("docker", $"network ls -q --filter name={app}_", Path.GetTempPath(), env).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
    {
        Run("docker", "network rm " + network, Path.GetTempPath(), env);
    }
    await Task.CompletedTask;
}

static async Task WaitAsync(Func<Task<bool>> done, TimeSpan timeout, string what)
{
    var deadline = Stopwatch.StartNew();
    while (deadline.Elapsed < timeout)
    {
        try
        {
            if (await done())
            {
                return;
            }
        }
        catch (HttpRequestException)
        {
        }
        await Task.Delay(50);
    }
    throw new TimeoutException("timed out waiting for " + what);
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

static string Temp(string prefix)
{
    var path = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)]);
    Directory.CreateDirectory(path);
    return path;
}

static void Git(string folder, params string[] args)
{
    var start = new ProcessStartInfo("git") { WorkingDirectory = folder, RedirectStandardError = true, RedirectStandardOutput = true };
    foreach (var arg in args)
    {
        start.ArgumentList.Add(arg);
    }
    using var process = Process.Start(start)!;
    process.StandardOutput.ReadToEnd();
    var error = process.StandardError.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"git {string.Join(' ', args)}: {error}");
    }
}

static (string Output, int Unused) Run(string file, string arguments, string folder, IReadOnlyDictionary<string, string> env)
{
    var start = new ProcessStartInfo(file, arguments) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
    start.Environment["DOCKER_HOST"] = env.GetValueOrDefault("CONOPS_TEST_DOCKER_HOST", "unix:///var/run/docker.sock");
    using var process = Process.Start(start)!;
    var output = process.StandardOutput.ReadToEndAsync();
    var error = process.StandardError.ReadToEndAsync();
    process.WaitForExit();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"{file} {arguments}: {error.Result}");
    }
    return (output.Result, 0);
}

// CPU time of this program's finished child processes (cutime + cstime in /proc/self/stat, clock ticks of 10 ms).
static double ChildrenCpuSeconds()
{
    var stat = File.ReadAllText("/proc/self/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return (long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture)) / 100.0;
}

static string FindRepoRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ConOps.sln")))
    {
        dir = dir.Parent;
    }
    return dir?.FullName ?? throw new InvalidOperationException("ConOps.sln not found");
}

static Dictionary<string, string> LoadTestEnv(string root)
{
    var values = new Dictionary<string, string>(StringComparer.Ordinal);
    foreach (var raw in File.ReadAllLines(Path.Combine(root, ".conops", "testenv.env")))
    {
        var line = raw.StartsWith("export ", StringComparison.Ordinal) ? raw[7..] : raw;
        var eq = line.IndexOf('=', StringComparison.Ordinal);
        if (eq > 0 && !line.StartsWith('#'))
        {
            values[line[..eq]] = line[(eq + 1)..].Trim('"');
        }
    }
    return values;
}

public partial class Program
{
    private static readonly string[] LocalHost = ["local"];
    private static readonly string[] NowhereHost = ["bench-nowhere"];
}

/// <summary>The console as its own process (Release build next to this program), on free ports, with a fresh data folder.</summary>
internal sealed class ConsoleRun : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _data;

    private ConsoleRun(Process process, string data, HttpClient http)
    {
        _process = process;
        _data = data;
        Http = http;
    }

    public HttpClient Http { get; }

    public static async Task<ConsoleRun> StartAsync(string repoRoot, IReadOnlyDictionary<string, string> env, Dictionary<string, string> settings)
    {
        var ui = FreePort();
        var agents = FreePort();
        var data = Path.Combine(Path.GetTempPath(), "conops-bench-data-" + Guid.NewGuid().ToString("N")[..8]);
        var start = new ProcessStartInfo("dotnet", Path.Combine(AppContext.BaseDirectory, "conops-console.dll"))
        {
            WorkingDirectory = Path.Combine(repoRoot, "src", "Console"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ConOps__Console__UiUrl"] = $"http://127.0.0.1:{ui}";
        start.Environment["ConOps__Console__AgentUrl"] = $"https://127.0.0.1:{agents}";
        start.Environment["ConOps__Console__DataDirectory"] = data;
        start.Environment["ConOps__LocalAgent__DockerEndpoint"] = env.GetValueOrDefault("CONOPS_TEST_DOCKER_HOST", "unix:///var/run/docker.sock");
        var token = "bench-" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
        start.Environment["ConOps__Auth__BootstrapToken"] = token;
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null && Environment.GetEnvironmentVariable("CONOPS_BENCH_VERBOSE") == "1") { Console.Error.WriteLine("console: " + e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine("console: " + e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ui}"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var run = new ConsoleRun(process, data, http);
        for (var i = 0; i < 150; i++)
        {
            try
            {
                if ((await http.GetAsync("/api/hosts")).IsSuccessStatusCode)
                {
                    return run;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        await run.DisposeAsync();
        throw new TimeoutException("the console did not start");
    }

    public double CpuSeconds()
    {
        _process.Refresh();
        return _process.TotalProcessorTime.TotalSeconds;
    }

    public double RssMegabytes()
    {
        _process.Refresh();
        return _process.WorkingSet64 / 1024.0 / 1024.0;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
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
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
