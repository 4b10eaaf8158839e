// Fleet benchmark: the real console process, N simulated agents on the real protocol (TLS, enrollment,
// credentials), M services each, a fraction of services changing status every second; measures console
// CPU and RSS, status-change-to-/api/services latency, and log throughput agent -> API client.
//
//   dotnet run -c Release --project bench/fleet -- --agents 500 --services 20 --change-rate 0.01 --seconds 60 --log-lines 500000
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using ConOps.Agent.Connection;
using ConOps.Bench.Fleet;
using ConOps.Contract;

var settings = Settings.Parse(args);
var repoRoot = FindRepoRoot();
System.Console.WriteLine($"Fleet bench: {settings.Agents} agents x {settings.Services} services, {settings.ChangeRate:P1} of services changing per second, {settings.Seconds} s; log stream of {settings.LogLines:N0} lines");

await using var console = await ConsoleUnderTest.StartAsync(repoRoot);
using var http = new HttpClient { BaseAddress = new Uri(console.UiUrl), Timeout = TimeSpan.FromMinutes(5) };
http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ConsoleUnderTest.AdminToken);

// Enrollment, as an operator and real agents would do it: create the host, trade the join token for a credential.
var clock = Stopwatch.StartNew();
var joins = new (string Host, string Token, string Fingerprint)[settings.Agents];
await Parallel.ForEachAsync(Enumerable.Range(0, settings.Agents), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
{
    var host = $"sim-{i:D4}";
    var response = await http.PostAsJsonAsync("/api/hosts", new { name = host }, ct);
    response.EnsureSuccessStatusCode();
    var join = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
    joins[i] = (host, join.GetProperty("joinToken").GetString()!, join.GetProperty("certificateFingerprint").GetString()!);
});
var agents = new SimulatedAgent[settings.Agents];
await Parallel.ForEachAsync(Enumerable.Range(0, settings.Agents), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
{
    using var channel = ConsoleChannel.Open(console.AgentUrl, joins[i].Fingerprint, allowPlaintext: false);
    var enrolled = await new AgentHub.AgentHubClient(channel.Channel).EnrollAsync(new EnrollRequest { JoinToken = joins[i].Token, AgentId = joins[i].Host }, cancellationToken: ct);
    agents[i] = new SimulatedAgent(enrolled.HostName, enrolled.Credential, settings.Services, console.AgentUrl, joins[i].Fingerprint, settings.LogLines);
});
System.Console.WriteLine($"enrolled {settings.Agents} hosts in {clock.Elapsed.TotalSeconds:0.0} s");

clock.Restart();
await Parallel.ForEachAsync(agents, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (agent, _) => await agent.ConnectAsync());
var total = settings.Agents * settings.Services;
while ((await http.GetFromJsonAsync<JsonElement>("/api/services")).GetArrayLength() < total)
{
    await Task.Delay(250);
}
System.Console.WriteLine($"connected {settings.Agents} agents, {total} services visible in /api/services after {clock.Elapsed.TotalSeconds:0.0} s; RSS {console.RssMegabytes():0} MB");

// Steady state: changes at the configured rate, /api/services polled to see them arrive.
var pending = new System.Collections.Concurrent.ConcurrentDictionary<string, (string Marker, long SentAt)>(StringComparer.Ordinal);
var latencies = new List<double>();
var superseded = 0;
using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(settings.Seconds));
var rss = new List<double>();
var cpuStart = console.CpuTime();
var wall = Stopwatch.StartNew();
var changer = Task.Run(async () =>
{
    var perTick = total * settings.ChangeRate / 10.0;
    var random = new Random(42);
    long seq = 0;
    double carry = 0;
    using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
    while (await tick.WaitForNextTickAsync(stop.Token).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result))
    {
        carry += perTick;
        for (; carry >= 1; carry--)
        {
            var agent = agents[random.Next(agents.Length)];
            var marker = $"chg-{++seq}";
            var (app, service) = agent.Change(random.Next(agent.Services), marker);
            if (pending.TryGetValue($"{agent.Host}/{app}/{service}", out _))
            {
                Interlocked.Increment(ref superseded);
            }
            pending[$"{agent.Host}/{app}/{service}"] = (marker, Stopwatch.GetTimestamp());
        }
    }
});
var sampler = Task.Run(async () =>
{
    using var tick = new PeriodicTimer(TimeSpan.FromSeconds(1));
    while (await tick.WaitForNextTickAsync(stop.Token).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result))
    {
        rss.Add(console.RssMegabytes());
    }
});
var polls = 0;
var pollTimes = new List<double>();
while (!stop.IsCancellationRequested)
{
    var started = Stopwatch.GetTimestamp();
    await using var body = await http.GetStreamAsync("/api/services");
    using var rows = await JsonDocument.ParseAsync(body);
    var seen = Stopwatch.GetTimestamp();
    pollTimes.Add(Stopwatch.GetElapsedTime(started, seen).TotalMilliseconds);
    polls++;
    foreach (var row in rows.RootElement.EnumerateArray())
    {
        var reason = row.GetProperty("reason").GetString();
        if (reason is null || !reason.StartsWith("chg-", StringComparison.Ordinal))
        {
            continue;
        }
        var key = $"{row.GetProperty("host").GetString()}/{row.GetProperty("app").GetString()}/{row.GetProperty("name").GetString()}";
        if (pending.TryGetValue(key, out var change) && change.Marker == reason && pending.TryRemove(new KeyValuePair<string, (string, long)>(key, change)))
        {
            latencies.Add(Stopwatch.GetElapsedTime(change.SentAt, seen).TotalMilliseconds);
        }
    }
    await Task.Delay(settings.PollMilliseconds);
}
await changer;
await sampler;
var cpu = (console.CpuTime() - cpuStart).TotalSeconds / wall.Elapsed.TotalSeconds;

// Log throughput: one agent streams log lines as fast as the stream takes them; one API client reads them.
var logClock = Stopwatch.StartNew();
long received = 0, dropped = 0;
await using (var logs = await http.GetStreamAsync($"/api/logs/{agents[0].Host}/app-0/svc-0?tail=all"))
{
    using var reader = new StreamReader(logs);
    while (await reader.ReadLineAsync() is { } line)
    {
        if (line.StartsWith("[conops] ", StringComparison.Ordinal))
        {
            if (line.Contains("dropped", StringComparison.Ordinal))
            {
                dropped += long.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
            }
            continue;
        }
        received++;
    }
}
var logSeconds = logClock.Elapsed.TotalSeconds;

latencies.Sort();
double Percentile(double p) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
System.Console.WriteLine();
System.Console.WriteLine("| Measure | Result | Target |");
System.Console.WriteLine("|---|---|---|");
System.Console.WriteLine($"| Agents x services connected | {settings.Agents} x {settings.Services} = {total} | 500 x 20 |");
System.Console.WriteLine($"| Status changes sent / observed in /api/services | {latencies.Count + pending.Count + superseded} / {latencies.Count} ({pending.Count} still in flight at the end, {superseded} superseded) | 1% of services/s |");
System.Console.WriteLine($"| Console CPU, average over {wall.Elapsed.TotalSeconds:0} s | {cpu:0.00} core | <= 1 core |");
System.Console.WriteLine($"| Console RSS, max / average | {rss.DefaultIfEmpty().Max():0} MB / {rss.DefaultIfEmpty().Average():0} MB | <= 600 MB |");
System.Console.WriteLine($"| Status change -> /api/services, p50 / p95 / p99 / max | {Percentile(0.50):0} / {Percentile(0.95):0} / {Percentile(0.99):0} / {latencies.DefaultIfEmpty().Max():0} ms | p95 <= 1000 ms |");
System.Console.WriteLine($"| /api/services response ({total} rows), p50 / max | {Median(pollTimes):0} / {pollTimes.DefaultIfEmpty().Max():0} ms ({polls} polls, {settings.PollMilliseconds} ms apart) | |");
System.Console.WriteLine($"| Log lines agent -> API client | {received:N0} lines in {logSeconds:0.00} s = {received / logSeconds:N0} lines/s, {dropped:N0} dropped | 50,000 lines/s |");

foreach (var agent in agents)
{
    await agent.DisposeAsync();
}

static double Median(List<double> values) => values.Count == 0 ? double.NaN : values.Order().ElementAt(values.Count / 2);

static string FindRepoRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ConOps.sln")))
    {
        dir = dir.Parent;
    }
    return dir?.FullName ?? throw new InvalidOperationException("Run the bench from inside the repository.");
}

/// <summary>Command-line settings.</summary>
internal sealed record Settings(int Agents, int Services, double ChangeRate, int Seconds, int LogLines, int PollMilliseconds)
{
    public static Settings Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            var i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        return new Settings(
            int.Parse(Get("agents", "500"), CultureInfo.InvariantCulture),
            int.Parse(Get("services", "20"), CultureInfo.InvariantCulture),
            double.Parse(Get("change-rate", "0.01"), CultureInfo.InvariantCulture),
            int.Parse(Get("seconds", "60"), CultureInfo.InvariantCulture),
            int.Parse(Get("log-lines", "500000"), CultureInfo.InvariantCulture),
            int.Parse(Get("poll-ms", "200"), CultureInfo.InvariantCulture));
    }
}
