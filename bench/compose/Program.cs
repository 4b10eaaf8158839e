// Normalizes a generated project (500 services, anchors + merge keys, interpolation from .env, an override
// file) with ConOps and with Debian's docker-compose 1.29 on the same input in the same run.
//
//   dotnet run -c Release --project bench/compose [-- SERVICES]
//
// Prints a markdown table: ConOps in-process (warm, median of 20), the `config` command as a process and
// `docker-compose config` as a process (median of 5 each), and the ratio.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using ConOps.Console.Compose;

var services = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500;
var folder = Path.Combine(Path.GetTempPath(), "conops-compose-bench-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
Directory.CreateDirectory(folder);
try
{
    Generate(folder, services);
    var request = new ComposeLoadRequest(folder, [], new Dictionary<string, string>(), [], "bench");

    var project = ComposeLoader.Load(request);
    if (project.Services.Count != services + 1)
    {
        throw new InvalidOperationException($"expected {services + 1} services, got {project.Services.Count}");
    }
    var inProcess = Median(20, () => ComposeLoader.Load(request));

    var console = Path.Combine(AppContext.BaseDirectory, "conops-console.dll");
    var conopsProcess = Median(5, () => Run("dotnet", $"{console} config --project-directory {folder} --format yaml", folder));
    var dockerCompose = Median(5, () => Run("docker-compose", "-f compose.yaml -f compose.override.yaml config", folder));

    Console.WriteLine($"| what | median |");
    Console.WriteLine($"| --- | ---: |");
    Console.WriteLine($"| ConOps `ComposeLoader.Load`, in process (warm, 20 runs) | {inProcess.TotalMilliseconds:F1} ms |");
    Console.WriteLine($"| ConOps `conops-console config --format yaml`, new process (5 runs) | {conopsProcess.TotalMilliseconds:F0} ms |");
    Console.WriteLine($"| `docker-compose config` 1.29, new process (5 runs) | {dockerCompose.TotalMilliseconds:F0} ms |");
    Console.WriteLine();
    Console.WriteLine($"Ratio docker-compose / ConOps: {dockerCompose / conopsProcess:F1}x (process to process), {dockerCompose / inProcess:F0}x (in process, as the console runs it).");
    Console.WriteLine($"Input: {services + 1} services, {new FileInfo(Path.Combine(folder, "compose.yaml")).Length / 1024} KiB compose.yaml + {new FileInfo(Path.Combine(folder, "compose.override.yaml")).Length / 1024} KiB override.");
}
finally
{
    Directory.Delete(folder, recursive: true);
}

static TimeSpan Median(int runs, Action action)
{
    var times = new List<TimeSpan>();
    for (var i = 0; i < runs; i++)
    {
        var watch = Stopwatch.StartNew();
        action();
        times.Add(watch.Elapsed);
    }
    times.Sort();
    return times[runs / 2];
}

static void Run(string file, string arguments, string directory)
{
    var start = new ProcessStartInfo(file, arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
    using var process = Process.Start(start)!;
    var output = process.StandardOutput.ReadToEndAsync();
    var errors = process.StandardError.ReadToEndAsync();
    process.WaitForExit();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"{file} {arguments} failed: {errors.Result}");
    }
    _ = output.Result;
}

static void Generate(string folder, int count)
{
    var compose = new StringBuilder("""
        x-logging: &logging
          driver: json-file
          options:
            max-size: 10m
            max-file: "3"
        x-service: &service
          restart: unless-stopped
          logging: *logging
          environment: &environment
            TZ: ${TZ:-UTC}
            LOG_LEVEL: ${LOG_LEVEL:-info}
          healthcheck:
            test: ["CMD", "wget", "-q", "-O-", "http://localhost/health"]
            interval: 30s
            timeout: 5s
            retries: 3
          deploy:
            resources:
              limits:
                memory: 256m
                cpus: "0.5"
        services:
          db:
            image: postgres:${PG_TAG:-16}
            volumes:
              - db-data:/var/lib/postgresql/data

        """);
    var overrides = new StringBuilder("services:\n");
    for (var i = 0; i < count; i++)
    {
        compose.Append(CultureInfo.InvariantCulture, $"""
              svc{i}:
                <<: *service
                image: ${"{"}REGISTRY:-registry.example.com{"}"}/team/svc{i}:${"{"}TAG:?TAG is required{"}"}
                environment:
                  <<: *environment
                  SERVICE_INDEX: "{i}"
                  DATABASE_URL: postgres://db:5432/svc{i}
                ports:
                  - "127.0.0.1:{10000 + i}:8080"
                labels:
                  com.example.team: team{i % 10}
                depends_on:
                  - db
                volumes:
                  - svc{i}-data:/data

            """);
        overrides.Append(CultureInfo.InvariantCulture, $"""
              svc{i}:
                environment:
                  LOG_LEVEL: debug
                ports:
                  - "127.0.0.1:{20000 + i}:9090"

            """);
    }
    compose.Append("volumes:\n  db-data:\n");
    for (var i = 0; i < count; i++)
    {
        compose.Append(CultureInfo.InvariantCulture, $"  svc{i}-data:\n");
    }
    File.WriteAllText(Path.Combine(folder, "compose.yaml"), compose.ToString());
    File.WriteAllText(Path.Combine(folder, "compose.override.yaml"), overrides.ToString());
    File.WriteAllText(Path.Combine(folder, ".env"), "TAG=2024.11\nLOG_LEVEL=warn\nREGISTRY=registry.internal:5000\n");
}
