using System.Diagnostics;
using ConOps.IntegrationTests.Support;

namespace ConOps.IntegrationTests.Deploy;

/// <summary>
/// What the deploy tests need, made once per run: the published agent (Native AOT) and console
/// (self-contained), the local Debian base image, and both container images built FROM it. Each step is
/// skipped when its output is already up to date, so a second run costs seconds.
/// </summary>
public sealed class DeployArtifacts : IAsyncLifetime
{
    public const string BaseImage = "conops-local/debian:bookworm";
    public const string ConsoleImage = "conops-it/console:test";
    public const string AgentImage = "conops-it/agent:test";

    public static string Root => TestEnvironment.RepoRoot;

    public static string AgentBinary => Path.Combine(Root, "artifacts", "publish", "agent", "conops-agent");

    public static string ConsoleBinary => Path.Combine(Root, "artifacts", "publish", "console", "conops-console");

    public async Task InitializeAsync()
    {
        // The Native AOT publish is the slowest step of the whole test run (minutes on 2 cores): it runs once per
        // run for every deploy test class (this collection fixture), and not at all while the agent's own
        // sources are unchanged (a console-only change does not rebuild it).
        if (!UpToDate(AgentBinary, "src/Agent", "src/Protos"))
        {
            await RunAsync(Path.Combine(Root, "deploy", "publish.sh"), TimeSpan.FromMinutes(20), "agent");
        }
        // The apphost is only copied when it changes: the console's own assembly says when it was built.
        if (!UpToDate(Path.Combine(Root, "artifacts", "publish", "console", "conops-console.dll"), "src"))
        {
            await RunAsync(Path.Combine(Root, "deploy", "publish.sh"), TimeSpan.FromMinutes(20), "console");
        }
        await RunAsync(Path.Combine(Root, "deploy", "base-image.sh"), TimeSpan.FromMinutes(8), BaseImage);
        await BuildImageAsync("console.Dockerfile", ConsoleImage);
        await BuildImageAsync("agent.Dockerfile", AgentImage);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static Task<string> BuildImageAsync(string dockerfile, string tag) =>
        RunAsync("docker", TimeSpan.FromMinutes(3), "build", "-q", "-f", Path.Combine("deploy", dockerfile), "--target", "prebuilt",
            "--build-arg", $"BASE_IMAGE={BaseImage}", "-t", tag, ".");

    /// <summary>True when the published file is newer than every source file under the given folders (and the build settings).</summary>
    private static bool UpToDate(string published, params string[] folders)
    {
        if (!File.Exists(published))
        {
            return false;
        }
        var builtAt = File.GetLastWriteTimeUtc(published);
        var sources = folders.SelectMany(folder => Directory.EnumerateFiles(Path.Combine(Root, folder), "*", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                     && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Append(Path.Combine(Root, "Directory.Packages.props"))
            .Append(Path.Combine(Root, "Directory.Build.props"));
        return sources.All(s => File.GetLastWriteTimeUtc(s) <= builtAt);
    }

    /// <summary>Runs a command in the repository root; fails with its output when it fails.</summary>
    public static Task<string> RunAsync(string file, TimeSpan timeout, params string[] args) =>
        RunAsync(file, timeout, new Dictionary<string, string>(), args);

    /// <summary>Runs a command in the repository root with extra environment variables; fails with its output when it fails.</summary>
    public static async Task<string> RunAsync(string file, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout}");
        }
        return process.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed with exit code {process.ExitCode}:\n{await output}\n{await error}");
    }
}

/// <summary>The deploy tests share the published artifacts and images, and run alone: they build images and drive the real engine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DeployCollection : ICollectionFixture<DeployArtifacts>
{
    public const string Name = "deploy";
}
