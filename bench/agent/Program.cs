using System.Diagnostics;
using System.Globalization;
using System.Text;
using ConOps.Agent.Reconcile;
using ConOps.Bench.Agent;
using ConOps.Contract;
using ConOps.IntegrationTests.Agent;
using Docker.DotNet;
using Docker.DotNet.Models;
using Google.Protobuf.WellKnownTypes;
using ServiceSpec = ConOps.Contract.ServiceSpec;

// Agent benchmarks on a real engine. Usage:
//   DOCKER_HOST=unix:///var/run/docker.sock dotnet run -c Release --project bench/agent [noop|noop-agent|heal|change|all]
// noop-agent measures the agent's no-op reconcile (and the engine's list call alone) without the docker-compose peer.
// Needs the image conops-test/web:1 (scripts/testenv.sh builds it) and docker-compose for the comparison.
var dockerHost = Environment.GetEnvironmentVariable("CONOPS_TEST_DOCKER_HOST") ?? Environment.GetEnvironmentVariable("DOCKER_HOST") ?? "unix:///var/run/docker.sock";
var which = args.Length > 0 ? args[0] : "all";
using var docker = new DockerClientBuilder().WithEndpoint(new Uri(dockerHost)).Build();
var report = new StringBuilder();
void Say(string line)
{
    Console.WriteLine(line);
    report.AppendLine(line);
}

Say($"engine {(await docker.System.GetVersionAsync()).Version}, {Environment.ProcessorCount} cores, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
if (which is "heal" or "all")
{
    await SelfHealAsync(20);
}
if (which is "change" or "all")
{
    await ChangeOneAsync(20);
}
if (which is "noop" or "noop-agent" or "all")
{
    await NoOpAsync(200, peer: which != "noop-agent");
}
return;

async Task NoOpAsync(int services, bool peer)
{
    var app = "benchnoop" + Suffix();
    await using var counter = new EngineCallCounter(dockerHost);
    await using var agent = await BenchAgent.CreateAsync(counter.Endpoint, start: false);
    var desired = App(app, services);
    try
    {
        agent.Deploy(desired);
        var created = Stopwatch.StartNew();
        await agent.Reconciler.ReconcileNowAsync(app, false, default);
        Say($"no-op: created {services} services in {created.Elapsed.TotalSeconds:0.0} s");
        await agent.Reconciler.ReconcileNowAsync(app, false, default); // settles the inspect cache after the apply's own events
        var times = new List<double>();
        var before = counter.Requests;
        const int runs = 50;
        for (var i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            var plan = await agent.Reconciler.ReconcileNowAsync(app, false, default);
            times.Add(sw.Elapsed.TotalMilliseconds);
            if (plan!.HasChanges)
            {
                throw new InvalidOperationException("phantom drift: " + string.Join("; ", plan.Services.Where(s => s.Action != ServiceAction.None).Select(s => s.Name + " " + s.Reason)));
            }
        }
        var calls = (counter.Requests - before) / (double)runs;
        var conops = Median(times);
        Say($"no-op: ConOps reconcile of {services} services: median {conops:0.0} ms, p95 {Percentile(times, 95):0.0} ms, {calls:0.##} engine call(s) per reconcile ({runs} runs)");

        // The engine's part: the same filtered list call alone, through the same proxy, interleaved with reconciles.
        using var client = new DockerClientBuilder().WithEndpoint(new Uri(counter.Endpoint)).Build();
        var listTimes = new List<double>();
        var agentTimes = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            await client.Containers.ListContainersAsync(new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { ["conops.manager=conops"] = true, [$"conops.app={app}"] = true } },
            });
            listTimes.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            await agent.Reconciler.ReconcileNowAsync(app, false, default);
            agentTimes.Add(sw.Elapsed.TotalMilliseconds);
        }
        Say($"no-op: of which the engine's list call alone: median {Median(listTimes):0.0} ms, p95 {Percentile(listTimes, 95):0.0} ms; reconciles interleaved with it: median {Median(agentTimes):0.0} ms ({runs} runs)");
        if (!peer)
        {
            return;
        }

        // The peer: docker-compose 1.29 on the same services (its own project: it would recreate ours over its own hash label).
        var dir = Path.Combine(Path.GetTempPath(), app + "-compose");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "docker-compose.yml");
        var yaml = new StringBuilder("version: \"3.8\"\nservices:\n");
        for (var i = 0; i < services; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  s{i}:\n    image: conops-test/web:1\n    environment:\n      INDEX: \"{i}\"\n    stop_grace_period: 1s\n");
        }
        File.WriteAllText(file, yaml.ToString());
        var project = app + "c";
        try
        {
            // Compose 1.29 (Python 3.11) deadlocks in its thread pool creating 200 services in one call on this
            // machine, so it creates and checks them in batches of 10: the same work, in its own CLI.
            var batches = Enumerable.Range(0, services).Select(i => $"s{i}").Chunk(10).ToList();
            var up = Stopwatch.StartNew();
            foreach (var batch in batches)
            {
                Compose(file, project, TimeSpan.FromMinutes(5), ["up", "-d", .. batch]);
            }
            Say($"no-op: docker-compose created {services} services in {up.Elapsed.TotalSeconds:0.0} s ({batches.Count} calls of 10)");
            var composeTimes = new List<double>();
            for (var i = 0; i < 3; i++)
            {
                var sw = Stopwatch.StartNew();
                foreach (var batch in batches)
                {
                    Compose(file, project, TimeSpan.FromMinutes(5), ["up", "-d", .. batch]);
                }
                composeTimes.Add(sw.Elapsed.TotalMilliseconds);
            }
            var compose = Median(composeTimes);
            Say($"no-op: docker-compose up -d (no-op) of {services} services in {batches.Count} calls of 10: median {compose:0} ms (3 runs: {string.Join(", ", composeTimes.Select(t => t.ToString("0", CultureInfo.InvariantCulture)))})");
            Say($"no-op: ratio docker-compose / ConOps = {compose / conops:0}x");
            var single = Stopwatch.StartNew();
            var finished = Compose(file, project, TimeSpan.FromSeconds(90), ["up", "-d"]);
            Say(finished
                ? $"no-op: docker-compose up -d (no-op) of {services} services in one call: {single.Elapsed.TotalMilliseconds:0} ms"
                : "no-op: docker-compose up -d (no-op) of all 200 services in one call did not finish within 90 s (stalled), as it did when creating them");
        }
        finally
        {
            // Not "down": it would run all 200 removals through the same stalling thread pool.
            await RemoveByLabelAsync($"com.docker.compose.project={project}");
            Directory.Delete(dir, recursive: true);
        }
    }
    finally
    {
        await RemoveAsync(app);
    }
}

async Task SelfHealAsync(int services)
{
    var app = "benchheal" + Suffix();
    await using var agent = await BenchAgent.CreateAsync(dockerHost, start: true);
    try
    {
        agent.Deploy(App(app, services));
        await WaitAsync(async () => (await Containers(app)).Count(c => c.State == "running") == services, TimeSpan.FromMinutes(3));
        await Task.Delay(2000);
        var afterStop = new List<double>();
        var afterRemove = new List<double>();
        for (var i = 0; i < services; i++)
        {
            var name = $"{app}-s{i}-1";
            await docker.Containers.StopContainerAsync(name, new ContainerStopParameters { WaitBeforeKillSeconds = 1 });
            var sw = Stopwatch.StartNew();
            await WaitAsync(async () => (await docker.Containers.InspectContainerAsync(name)).State?.Running == true, TimeSpan.FromSeconds(30));
            afterStop.Add(sw.Elapsed.TotalMilliseconds);
        }
        await Task.Delay(2000);
        for (var i = 0; i < services; i++)
        {
            var name = $"{app}-s{i}-1";
            var old = (await docker.Containers.InspectContainerAsync(name)).ID;
            await docker.Containers.RemoveContainerAsync(name, new ContainerRemoveParameters { Force = true });
            var sw = Stopwatch.StartNew();
            await WaitAsync(async () =>
            {
                try
                {
                    var c = await docker.Containers.InspectContainerAsync(name);
                    return c.ID != old && c.State?.Running == true;
                }
                catch (DockerContainerNotFoundException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(30));
            afterRemove.Add(sw.Elapsed.TotalMilliseconds);
        }
        Say($"self-heal: docker stop -> running again: p50 {Percentile(afterStop, 50):0} ms, p95 {Percentile(afterStop, 95):0} ms, max {afterStop.Max():0} ms ({services} runs)");
        Say($"self-heal: docker rm -f -> running again: p50 {Percentile(afterRemove, 50):0} ms, p95 {Percentile(afterRemove, 95):0} ms, max {afterRemove.Max():0} ms ({services} runs)");
    }
    finally
    {
        await agent.DisposeAsync();
        await RemoveAsync(app);
    }
}

async Task ChangeOneAsync(int services)
{
    var app = "benchchange" + Suffix();
    await using var agent = await BenchAgent.CreateAsync(dockerHost, start: false);
    try
    {
        var v1 = App(app, services);
        agent.Deploy(v1);
        await agent.Reconciler.ReconcileNowAsync(app, false, default);
        var before = (await Containers(app)).ToDictionary(c => c.Labels["conops.service"], c => c.ID);
        var v2 = v1.Clone();
        var spec = v2.Services[7].Spec.Clone();
        spec.Environment["INDEX"] = "changed";
        v2.Services[7] = new DesiredService { Spec = spec, ConfigHash = ConfigHash.Compute(spec) };
        agent.Deploy(v2);
        var sw = Stopwatch.StartNew();
        var reconcile = agent.Reconciler.ReconcileNowAsync(app, false, default);
        // When the status (what the console is sent) first says Synced on the new hash, and Healthy.
        TimeSpan? synced = null, healthy = null;
        while (!reconcile.IsCompleted || healthy is null)
        {
            var status = agent.Statuses.Snapshot().Services.FirstOrDefault(s => s.App == app && s.Service == spec.Name);
            if (status is { Sync: SyncStatus.Synced } && status.ConfigHash == v2.Services[7].ConfigHash)
            {
                synced ??= sw.Elapsed;
                if (status.Health == HealthStatus.Healthy)
                {
                    healthy ??= sw.Elapsed;
                }
            }
            if (reconcile.IsCompleted && healthy is null && sw.Elapsed > TimeSpan.FromMinutes(1))
            {
                break;
            }
            await Task.Delay(10);
        }
        var plan = await reconcile;
        var elapsed = sw.Elapsed;
        Say($"change one of {services}: reported Synced (Progressing) after {synced?.TotalMilliseconds:0} ms, Healthy after {healthy?.TotalMilliseconds:0} ms");
        var after = (await Containers(app)).ToDictionary(c => c.Labels["conops.service"], c => c.ID);
        var replaced = after.Where(a => before[a.Key] != a.Value).Select(a => a.Key).ToList();
        Say($"change one of {services}: apply finished (old container stopped and removed) in {elapsed.TotalMilliseconds:0} ms (includes the {agent.Options.StabilizationWindow.TotalSeconds:0} s stabilization window); replaced: {string.Join(", ", replaced)}; in sync after: {!plan!.HasChanges}");
    }
    finally
    {
        await RemoveAsync(app);
    }
}

AppDesiredState App(string name, int services)
{
    var app = new AppDesiredState { App = name, Revision = "main@sha1:" + new string('a', 40), Policy = new SyncPolicy { SelfHeal = true, Prune = true } };
    for (var i = 0; i < services; i++)
    {
        var spec = new ServiceSpec { Name = $"s{i}", Image = "conops-test/web:1", Restart = "no", StopGracePeriod = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)) };
        spec.Environment.Add("INDEX", i.ToString(CultureInfo.InvariantCulture));
        app.Services.Add(new DesiredService { Spec = spec, ConfigHash = ConfigHash.Compute(spec) });
    }
    return app;
}

async Task<IList<ContainerListResponse>> Containers(string app) =>
    await docker.Containers.ListContainersAsync(new ContainersListParameters
    {
        All = true,
        Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"conops.app={app}"] = true } },
    });

async Task RemoveAsync(string app) => await RemoveByLabelAsync($"conops.app={app}");

async Task RemoveByLabelAsync(string label)
{
    var filter = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [label] = true } };
    foreach (var c in await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filter }))
    {
        await docker.Containers.RemoveContainerAsync(c.ID, new ContainerRemoveParameters { Force = true });
    }
    foreach (var n in await docker.Networks.ListNetworksAsync(new NetworksListParameters { Filters = filter }))
    {
        await docker.Networks.DeleteNetworkAsync(n.ID);
    }
}

// Runs docker-compose; false when it did not finish in time (it is then killed).
bool Compose(string file, string project, TimeSpan timeout, string[] arguments)
{
    var start = new ProcessStartInfo("docker-compose") { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var a in (string[])["-p", project, "-f", file, .. arguments])
    {
        start.ArgumentList.Add(a);
    }
    start.Environment["DOCKER_HOST"] = dockerHost;
    start.Environment["COMPOSE_HTTP_TIMEOUT"] = "300";
    using var process = Process.Start(start)!;
    var error = process.StandardError.ReadToEndAsync();
    var output = process.StandardOutput.ReadToEndAsync();
    if (!process.WaitForExit(timeout))
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
        return false;
    }
    return process.ExitCode == 0 ? true : throw new InvalidOperationException($"docker-compose {string.Join(' ', arguments)} failed: {error.Result}{output.Result}");
}

static async Task WaitAsync(Func<Task<bool>> done, TimeSpan timeout)
{
    var deadline = DateTime.UtcNow + timeout;
    while (!await done())
    {
        if (DateTime.UtcNow > deadline)
        {
            throw new TimeoutException("benchmark condition not reached");
        }
        await Task.Delay(20);
    }
}

static double Median(List<double> values) => Percentile(values, 50);

static double Percentile(List<double> values, int percentile)
{
    var sorted = values.Order().ToList();
    var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1;
    return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
}

static string Suffix() => Guid.NewGuid().ToString("N")[..6];
