using ConOps.IntegrationTests.Support;
using Xunit.Abstractions;

namespace ConOps.IntegrationTests.Sources;

/// <summary>Scripts mounted from the repository keep Git's executable bit, as a bind from a `git clone` would.</summary>
[Collection(RealEngine.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ExecutableFilesTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly SourcesScenario _s = new();

    public async Task InitializeAsync()
    {
        // Given an entrypoint script and a folder holding a program, both committed as executable (mode 100755)
        Write("entrypoint.sh", "#!/bin/sh\nexec /opt/bin/serve\n", executable: true);
        Write("bin/serve", "#!/bin/sh\nexec sleep 3600\n", executable: true);
        Write("bin/README", "not a program\n", executable: false);
        Write("compose.yaml", """
            services:
              job:
                image: conops-test/busybox:1
                command: ["/entrypoint.sh"]
                volumes:
                  - ./entrypoint.sh:/entrypoint.sh:ro
                  - ./bin:/opt/bin
            """, executable: false);
        _s.Repo.Git("add", ".");
        _s.Repo.Git("commit", "-q", "-m", "scripts");
        await _s.StartConsoleAsync();
        await _s.CreateAppAsync(new { name = _s.App, repoUrl = _s.Repo.Path, hosts = new[] { "local" } });
    }

    [Fact]
    public async Task A_script_and_a_folder_of_programs_mounted_from_the_repository_stay_executable()
    {
        // Then the container runs its entrypoint script, which runs the program from the mounted folder
        var running = await _s.WaitForContainerAsync("job", _ => true, "the job to run its mounted entrypoint");
        await Task.Delay(TimeSpan.FromSeconds(3));
        var later = (await _s.ContainerAsync("job"))!;
        Assert.True(later.State.Running, $"the job stopped: exit code {later.State.ExitCode}, {later.State.Error}");
        Assert.Equal(running.State.StartedAt, later.State.StartedAt);

        // And the agent's copies carry the modes Git has: executable where Git says so, not elsewhere
        var folder = later.Mounts.Single(m => m.Destination == "/opt/bin").Source;
        Assert.True((File.GetUnixFileMode(Path.Combine(folder, "serve")) & UnixFileMode.OtherExecute) != 0);
        Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(Path.Combine(folder, "README")) & UnixFileMode.UserExecute);
    }

    private void Write(string relative, string content, bool executable)
    {
        var path = Path.Combine(_s.Repo.Path, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead
            | (executable ? UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute : UnixFileMode.None));
    }

    public Task DisposeAsync()
    {
        output.WriteLine(_s.Console?.Log ?? "");
        return _s.DisposeAsync().AsTask();
    }
}
